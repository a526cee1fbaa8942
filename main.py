"""Synthesize Terraform for every queue in queues.yaml.

python main.py [--queues PATH] [--outdir DIR]      (cdktf synth runs it without flags)
"""

import argparse
import os
import pathlib
import sys

from constructs_lib.infra import output_folder
from constructs_lib.queues.loader import load_queues
from constructs_lib.queues.problems import LoadError, Problem
from constructs_lib.queues.summary import print_summary

CHECKOUT = pathlib.Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--queues", default="queues.yaml", help="queue declaration (default: queues.yaml)")
    parser.add_argument(
        "--outdir", default=os.environ.get("CDKTF_OUTDIR", "cdktf.out"), help="output folder (default: cdktf.out)"
    )
    args = parser.parse_args()
    outdir = pathlib.Path(args.outdir)
    try:
        model = load_queues(args.queues)
        # Never the checkout, the queues file's folder, the current or the home folder, nor a parent of one.
        protected = [CHECKOUT, pathlib.Path.cwd(), pathlib.Path.home(), pathlib.Path(args.queues).absolute().parent]
        output_folder.check(outdir, protected)
        from constructs_lib.infra.app import synth  # cdktf only once the input is known to be good

        synth(model, args.outdir)
    except LoadError as err:
        print(err, file=sys.stderr)
        return 2
    except OSError as err:  # a read-only or full disk: one line, and the old output stays
        print(Problem(args.outdir, 0, "", f"cannot write: {err.strerror or err}"), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; the output folder is as it was", file=sys.stderr)
        return 130
    print_summary(model, args.outdir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
