"""rxdsp from Python: the link simulation, the golden receiver, exact BER
sweep shards and their merge, and sweeps on a Dask cluster (docs/python.md).

Every function runs the same Rust code as the ``rxdsp`` program, with the GIL
released; every error (a panic inside Rust included) is raised as
:class:`RxdspError`. Plain dicts, lists, ints and strings cross the boundary,
so everything here pickles and travels to Dask workers.

Configurations are dicts with the keys of the TOML file (``{"channel":
{"snr_db": 25.0}, "dfe": {"taps": 2}}``), applied to the embedded default
configuration as the program's ``--set section.key=value`` overrides are, or
the path of a TOML file (as ``--config``); :func:`load_config` reads a file
into a dict.
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict, Iterable, List, Optional, Sequence, Union

from . import _rxdsp
from ._rxdsp import DEFAULT_SHARD_SYMBOLS, VERSION, RxdspError

__all__ = [
    "RxdspError",
    "VERSION",
    "DEFAULT_SHARD_SYMBOLS",
    "load_config",
    "simulate",
    "rx",
    "sweep_spec",
    "run_shard",
    "merge",
    "sweep",
]
__version__ = VERSION

Config = Dict[str, Any]


def _config_json(config: Optional[Config]) -> str:
    if config is None:
        config = {}
    if not isinstance(config, dict):
        raise RxdspError("config: a dict of sections (the TOML file's keys) expected, "
                         f"got {type(config).__name__}")
    try:
        return json.dumps(config)
    except (TypeError, ValueError) as e:
        raise RxdspError(f"config: {e}") from None


def load_config(path: Union[str, os.PathLike, None] = None, sets: Sequence[str] = ()) -> Config:
    """The configuration file ``path`` (the embedded default when None) with
    ``--set``-style overrides (``"section.key=value"``) applied, as a dict."""
    return json.loads(_rxdsp.load_config(None if path is None else os.fspath(path), list(sets)))


def _config_args(config: Union[Config, str, os.PathLike, None], sets: Sequence[str]):
    """(JSON text or None, path or None, sets) for the native calls."""
    if isinstance(config, (str, os.PathLike)):
        return None, os.fspath(config), list(sets)
    if config is None:
        return None, None, list(sets)  # the embedded default, as without --config
    if sets:
        raise RxdspError("sets apply to a configuration file; put the keys into the dict")
    return _config_json(config), None, []


def simulate(config: Union[Config, str, os.PathLike, None] = None, *, sets: Sequence[str] = (),
             threads: int = 1) -> Dict[str, Any]:
    """The report ``rxdsp sim --report`` writes, as a dict: ``config`` a dict
    (applied to the embedded default as ``--set`` overrides are) or the path
    of a TOML file (as ``--config``, with ``sets`` as ``--set``).

    ``threads`` channel-model worker threads run beside the receiver."""
    c, path, sets = _config_args(config, sets)
    return json.loads(_rxdsp.simulate(c, path, sets, threads))


def rx(samples: Any, config: Optional[Config] = None):
    """The golden receiver on ``samples`` (a 1-D NumPy array of int8 or int16
    ADC codes, or float32 voltages quantized by the configured ADC), as
    ``rxdsp rx`` runs it: a uint8 array of the decoded bits, two per sample
    (``numpy.packbits`` of it is ``rxdsp rx``'s output file)."""
    return _rxdsp.rx(samples, _config_json(config))


def sweep_spec(
    config: Union[Config, str, os.PathLike, None] = None,
    grid: Iterable[str] = (),
    *,
    sets: Sequence[str] = (),
    target_errors: int = 100,
    max_symbols: int = 1_000_000_000,
    shard_symbols: int = DEFAULT_SHARD_SYMBOLS,
    config_dir: Optional[Union[str, os.PathLike]] = None,
) -> Dict[str, Any]:
    """A checked sweep spec (the ``sweep.json`` of ``rxdsp sweep``).

    ``config`` is a dict or the path of a TOML file (``sets`` apply to a
    file: the spec is then the one ``rxdsp sweep --config F --set ...``
    writes); ``grid`` holds ``"KEY=V1,V2"`` or ``"KEY=A:B:STEP"`` strings, the
    first key slowest. Relative Touchstone paths are taken from
    ``config_dir`` (default: the file's folder, or the current folder)."""
    c, path, sets = _config_args(config, sets)
    if config_dir is None:
        config_dir = (os.path.dirname(path) or ".") if path else "."
    config_dir = os.path.realpath(os.fspath(config_dir))
    grid = [grid] if isinstance(grid, str) else list(grid)
    text = _rxdsp.sweep_spec(c, path, sets, config_dir, grid, int(shard_symbols),
                             int(target_errors), int(max_symbols))
    return json.loads(text)


def _spec_json(spec: Dict[str, Any]) -> str:
    if not isinstance(spec, dict):
        raise RxdspError("spec: a dict from rxdsp.sweep_spec expected")
    return json.dumps(spec)


def run_shard(spec: Dict[str, Any], point: int, shard: int) -> Dict[str, Any]:
    """Shard ``shard`` of point ``point`` of ``spec``: its record (integer
    counts and provenance), the same wherever and whenever it runs."""
    return json.loads(_rxdsp.run_shard(_spec_json(spec), int(point), int(shard)))


def merge(records: Iterable[Dict[str, Any]]) -> Dict[int, Dict[str, Any]]:
    """Shard records merged per point, without a stop rule: each (point,
    shard) counted once (a different duplicate is refused), the shards of a
    point consecutive from 0. Returns ``{point: merged counts}``."""
    texts = [json.dumps(r) for r in records]
    return {int(p): c for p, c in json.loads(_rxdsp.merge(texts)).items()}


def sweep(spec: Dict[str, Any], client: Any = None, *, out: Optional[Union[str, os.PathLike]] = None,
          workers: Optional[int] = None, progress: bool = False) -> List[Dict[str, Any]]:
    """Runs the sweep ``spec`` (from :func:`sweep_spec`) and returns its points
    (the contents of ``points.json``).

    ``client``: a ``distributed.Client`` (any Dask cluster: shards are
    submitted to it), ``None`` (a ``LocalCluster`` of ``workers`` processes is
    started, one per core by default) or ``"inline"`` (this process, one
    shard at a time, no Dask). With ``out`` the folder is written as
    ``rxdsp sweep --out`` writes it (records, ``points.json``,
    ``points.csv``: the same bytes) and an existing sweep there is resumed."""
    from ._sweep import run_sweep

    return run_sweep(spec, client, out=out, workers=workers, progress=progress)
