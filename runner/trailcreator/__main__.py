"""The console scripts (``trailcreator``, ``trailcreator-tag``) and ``python -m trailcreator``.

The CLI is imported when a command runs, not with this module.  The reader's worker processes
are spawned, and a spawned process first imports the script that started its parent: the
console script, which imports this module.  Were the CLI imported here, every worker would
load click, boto3 and the rest for nothing (~30 MiB each).
"""

import sys


def main() -> None:
    from .cli import main

    main()


def tag_main() -> None:
    from .cli import tag_main

    tag_main()


if __name__ == "__main__":
    sys.exit(main())
