"""What a test's run leaves in its cassette: written at teardown, once the outcome is known.

Kept apart from the plugin so that the rules of writing (record mode, pass or fail, the
volatile entries carried over from the cassette read) live with the cassettes, as vcrpy's
`Cassette._save` lives with its cassette and not in pytest-recording.
"""

from __future__ import annotations

from ..settings import Settings
from ..trail import Trail
from . import cassettes, oracle
from .likeness import Likeness


def save(tape: cassettes.Tape, trail: Trail, passed: bool, settings: Settings) -> bool:
    """Write the cassette the record mode asks for; whether one was written."""
    recorded_volatile = tape.recorded.volatile if tape.recorded else []
    steps, volatile = oracle.recorded_steps(trail.steps, recorded_volatile, settings.volatile,
                                            Likeness(settings.replay_dates))
    cassette = tape.to_write(steps, passed, volatile)
    if cassette is None:
        return False
    cassettes.save(tape.path, cassette)
    return True
