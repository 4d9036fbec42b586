"""The paper examples, at their old name: they live in :mod:`booth_dev.paper_examples` (a developer tool).

Kept so that documentation examples written against ``booth.paper.examples``
keep working until they are moved over; new code imports
``booth_dev.paper_examples``.
"""

from booth_dev.paper_examples import *  # noqa: F403 -- every example, as before
from booth_dev.paper_examples import main

if __name__ == "__main__":
    raise SystemExit(main())
