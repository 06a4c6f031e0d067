"""The README's first call, from an installed wheel: Slack through the sandbox (PARAGON_* set)."""

import platform

from paragon_connect import Paragon

text = f"hi from the {platform.machine()} wheel"
answer = Paragon().request(
    "slack", "/chat.postMessage", method="POST", body={"channel": "C0", "text": text}
)
assert answer["ok"] is True and answer["message"]["text"] == text, answer
print(f"wheel on {platform.machine()}, Python {platform.python_version()}: slack ->", answer["ok"])
