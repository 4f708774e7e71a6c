"""Fetch stage: the HTTP client, the private-address guard and the response rules (I/O: network).

Importing this package blocks ``httpx._main``, httpx's command-line tool: httpx's
``__init__`` imports it whenever click, pygments and rich are installed (they are, for
Datasette and our progress bar), and that was ~45 ms CPU of every ``poll`` process (``python
-c "import httpx"``: 0.12 → 0.075 s user+sys, 3 runs each). A module set to None in
``sys.modules`` fails to import, and httpx then defines its stub ``main`` instead; nothing of
ours uses the tool.
"""

import sys

if "httpx" not in sys.modules and "httpx._main" not in sys.modules:
    sys.modules["httpx._main"] = None  # type: ignore[assignment]  # None: "cannot be imported"
