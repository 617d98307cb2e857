"""Predictions of a saved model (``--load MODEL --predict NEW.csv``), one per
row of a CSV file whose columns are matched to the model's by name."""

from .data import prediction_data, read_table, require
from .errors import CommandLineError
from .files import check_outputs, replaced_atomically
from .models import load_model, model_columns, predictions
from .options import UTF8
from .results import Predicted


def predict_file(model, args):
    """Predict the rows of ``args.predict`` with ``model``; write them to
    ``args.output`` (atomically) or, without it, return them in the record
    for standard output. Returns a :class:`~.results.Predicted`."""
    pd = require("pandas", "reading CSV files")
    names, categorical = model_columns(model)
    table, _ = read_table(
        args.predict,
        delimiter=args.delimiter,
        encoding=args.encoding or UTF8,
        na_values=args.na_values,
        text=categorical,
    )
    X = prediction_data(table, names, categorical, path=args.predict)
    if len(X) == 0:
        raise CommandLineError(f"{args.predict} has no data rows")
    frame = pd.DataFrame(predictions(model, X, args.return_std, source=args.predict))
    if args.output is not None:
        with replaced_atomically(args.output, "--output") as temporary:
            frame.to_csv(temporary, index=False)
    unseen = {}
    for name, known in categorical.items():
        values = X[name].dropna()
        found = sorted(set(values[~values.isin(known)]))
        if found:
            unseen[name] = found
    return Predicted(
        source=args.predict,
        n_rows=len(frame),
        columns=list(frame.columns),
        destination=args.output,
        frame=frame if args.output is None else None,
        missing_cells=int(X.isna().sum().sum()),
        unseen=unseen,
        ignored=[name for name in table.columns if name not in names],
    )


def run(args, show):
    """Load ``args.load`` and predict ``args.predict`` with it."""
    check_outputs(args)
    model = load_model(args.load)
    show(predict_file(model, args))
