"""Chat with the assistant in a terminal: `python -m assistant.chat [--session ID]`.

Uses the same settings as the app (SHOP_DATA_DIR, SHOP_LLM_*, ...), so a conversation started here
is stored in the same SQLite file and can be continued with --session. Commands: /new starts a new
conversation, /quit (or Ctrl-D) leaves.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from assistant.config import Settings
from assistant.engine import Assistant, Reply
from assistant.sessions import SessionError, new_session_id


def show_turn(assistant: Assistant, session: str, message: str, verbose: bool) -> None:
    for item in assistant.stream(session, message):
        if isinstance(item, Reply):
            if verbose:
                print(f"\n  [{item.action}; intent {item.intent} by {item.understood_by}; {item.latency_ms:.0f} ms]", end="")
                for product in item.products:
                    parts = ", ".join(f"{k} {v:.3f}" for k, v in product.get("parts", {}).items())
                    print(f"\n  [{product['id']}: {parts}]", end="")
            print("\n")
        else:
            print(item, end="", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m assistant.chat", description=__doc__.split("\n\n")[0])
    parser.add_argument("--session", help="continue this conversation (default: a new one)")
    parser.add_argument("--data-dir", type=Path, help="the shop's data folder (default: SHOP_DATA_DIR or ./data)")
    parser.add_argument("--verbose", "-v", action="store_true", help="show the action, intent and score parts of each reply")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    if args.data_dir:
        settings.data_dir = args.data_dir
    assistant = Assistant.from_settings(settings)
    assistant.warm_up()
    session = args.session or new_session_id()
    print(f"Session {session}. Type /new for a new conversation, /quit to leave.\n")
    try:
        while True:
            try:
                message = input("you> ")
            except EOFError:
                print()
                break
            if message.strip() == "/quit":
                break
            if message.strip() == "/new":
                session = new_session_id()
                print(f"Session {session}.\n")
                continue
            print("assistant> ", end="", flush=True)
            show_turn(assistant, session, message, args.verbose)
    except SessionError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print()
    finally:
        assistant.sessions.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
