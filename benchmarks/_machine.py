"""What else the machine was doing during a benchmark: the hypervisor's steal
and other processes' share of the CPUs, from /proc/stat (Linux).

Shared by the benchmark scripts, which run from this folder (so it is on
``sys.path``).
"""

import os


def cpu_times():
    """A sample of the CPUs' time: (steal, busy, total) jiffies of all CPUs
    from /proc/stat and this process's CPU seconds; None off Linux."""
    try:
        with open("/proc/stat") as handle:
            fields = handle.readline().split()
    except OSError:
        return None
    if fields[0] != "cpu" or len(fields) < 9:
        return None
    # user nice system idle iowait irq softirq steal
    values = [int(field) for field in fields[1:9]]
    busy = sum(values[:3]) + values[5] + values[6]
    own = os.times()
    return values[7], busy, sum(values), own.user + own.system


def steal_share(before, after):
    """Share of the CPUs' time the hypervisor gave to other guests meanwhile.

    On a shared virtual machine this is what makes two threads slower than
    one now and then; the table reports it next to each workload's times.
    """
    if before is None or after is None or after[2] == before[2]:
        return float("nan")
    return (after[0] - before[0]) / (after[2] - before[2])


def others_share(before, after):
    """Share of the CPUs' time that other processes of this machine used
    meanwhile (busy time less this process's own CPU time).

    Two cores shared with other work: a threaded fit loses most when another
    process takes a core. The tables report it next to each workload's times.
    """
    if before is None or after is None or after[2] == before[2]:
        return float("nan")
    ticks = os.sysconf("SC_CLK_TCK")
    busy = (after[1] - before[1]) / ticks
    own = after[3] - before[3]
    return max(0.0, busy - own) / ((after[2] - before[2]) / ticks)
