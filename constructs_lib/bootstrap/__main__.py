"""`python -m constructs_lib.bootstrap`: the same process as the `ci-bootstrap` command."""

import sys

from constructs_lib.bootstrap.entry import main

sys.exit(main())
