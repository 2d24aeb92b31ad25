"""A fake WHOLE Hub: N synthetic public models whose `base_model:` tags form derivative trees across families,
with the oddities of the real graph, served by FakeHub (RateLimit headers, 429s, absolute Link pagination).

    models = whole_hub_models(100_000, seed=1)
    with WholeHub(models, page_size=1000) as hub: ...
    truth = derivative_truth(models, family_of)   # independent: plain Python BFS over the tags

The graph holds: official models of several families (and non-family repos in the same orgs), fine-tunes,
adapters, quantizations and merges of them and of each other (chains several levels deep), merges with parents
in two families, plain `base_model:X` tags alone or next to `base_model:<relation>:X`, self-loops, two models
naming each other (cycles), parents that do not exist (deleted or private), parent ids in another case, and
models with no downloadsAllTime / no tags at all.
"""

from __future__ import annotations

import random
from collections import deque
from datetime import UTC, datetime, timedelta

from tests.fakes.fake_hub import FakeHub, _hex

RELATIONS = ("finetune", "adapter", "quantized", "merge")
# (org, official name stems, non-family names) for a few configured families (pipelines/families.yaml)
OFFICIAL = (
    ("Qwen", ["Qwen3-8B", "Qwen3-8B-Base", "Qwen2.5-7B-Instruct", "Qwen2.5-72B", "Qwen3-0.6B"], []),
    ("meta-llama", ["Llama-3.1-8B", "Llama-3.1-8B-Instruct", "Llama-3.2-1B", "Llama-3.3-70B-Instruct"], []),
    ("google", ["gemma-3-4b-it", "gemma-2-9b", "gemma-3-27b-it"], ["t5-base", "bert-base-uncased"]),
    ("microsoft", ["Phi-3.5-mini-instruct", "phi-4"], ["deberta-v3-base"]),
    ("mistralai", ["Mistral-7B-v0.1", "Mistral-Nemo-Instruct-2407"], []),
    ("deepseek-ai", ["DeepSeek-R1", "DeepSeek-R1-Distill-Qwen-7B"], []),
)


def _model(mid: str, created: datetime, rng: random.Random, tags: list[str] | None) -> dict:
    downloads = int(rng.paretovariate(1.2)) - 1
    record = {
        "_id": _hex(mid, 24),
        "id": mid,
        "author": mid.split("/")[0],
        "likes": rng.randint(0, 50),
        "downloads": downloads,
        "downloadsAllTime": downloads + rng.randint(0, 5000),
        "createdAt": created.strftime("%Y-%m-%dT%H:%M:%S.") + f"{created.microsecond // 1000:03d}Z",
        "tags": ["transformers", *(tags or [])],
    }
    if rng.random() < 0.01:
        del record["downloadsAllTime"]
    if tags is None:
        del record["tags"]
    return record


def whole_hub_models(n: int, seed: int = 0) -> list[dict]:
    """N models (n >= 100); deterministic for a seed."""
    rng = random.Random(seed)
    t0 = datetime(2023, 1, 1, tzinfo=UTC)
    models: list[dict] = []
    ids: list[str] = []

    def add(mid: str, tags: list[str] | None) -> None:
        models.append(_model(mid, t0 + timedelta(seconds=37 * len(models) + rng.randint(0, 30)), rng, tags))
        ids.append(mid)

    for org, official, other in OFFICIAL:
        for name in official:
            tags = []
            if name.endswith("-Instruct") or name.endswith("-it"):  # first-party child of first-party
                tags = [f"base_model:{org}/{name.rsplit('-', 1)[0]}"]
            add(f"{org}/{name}", tags)
        for name in other:
            add(f"{org}/{name}", [])
    if "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B" in ids:  # a family's official model derived from another's
        models[ids.index("deepseek-ai/DeepSeek-R1-Distill-Qwen-7B")]["tags"] += [
            "base_model:Qwen/Qwen2.5-7B-Instruct",
            "base_model:finetune:Qwen/Qwen2.5-7B-Instruct",
        ]
    n_users = max(10, n // 40)
    while len(models) < n:
        i = len(models)
        mid = f"user{rng.randrange(n_users)}/model-{i}"
        roll = rng.random()
        if roll < 0.25:
            add(mid, [] if rng.random() < 0.9 else None)  # no parent
            continue
        # parents: mostly recent models (chains), sometimes an official one
        k = 1 if rng.random() < 0.93 else rng.randint(2, 4)
        parents = []
        for _ in range(k):
            j = rng.randrange(len(ids)) if rng.random() < 0.5 else max(0, len(ids) - 1 - int(rng.expovariate(1 / 200)))
            parents.append(ids[j])
        relation = "merge" if k > 1 else rng.choice(RELATIONS)
        tags = []
        for p in parents:
            shown = p
            if rng.random() < 0.03:  # another case
                shown = p.lower() if rng.random() < 0.5 else p.upper()
            style = rng.random()
            if style < 0.7:
                tags += [f"base_model:{shown}", f"base_model:{relation}:{shown}"]
            elif style < 0.85:
                tags.append(f"base_model:{shown}")  # plain only: relation unknown
            else:
                tags.append(f"base_model:{relation}:{shown}")
        if rng.random() < 0.01:
            tags.append(f"base_model:finetune:{mid}")  # self-loop
        if rng.random() < 0.01:
            tags.append(f"base_model:gone-org/deleted-{i}")  # a parent that no longer exists
        add(mid, tags)
        if rng.random() < 0.005 and len(models) < n:  # a cycle: the next model and this one name each other
            other = f"user{rng.randrange(n_users)}/twin-{i}"
            models[-1]["tags"].append(f"base_model:{other}")
            add(other, [f"base_model:finetune:{mid}"])
    return models[:n]


def whole_hub_dump_table(n: int, seed: int = 0):
    """`whole_hub_models(n, seed)` as a whole-Hub dump's Arrow table (the API's field names), for Parquet dumps."""
    import pyarrow as pa

    schema = pa.schema(
        [
            ("id", pa.string()),
            ("author", pa.string()),
            ("likes", pa.int64()),
            ("downloads", pa.int64()),
            ("downloadsAllTime", pa.int64()),
            ("createdAt", pa.string()),
            ("tags", pa.list_(pa.string())),
        ]
    )
    return pa.Table.from_pylist([{k: v for k, v in m.items() if k != "_id"} for m in whole_hub_models(n, seed)], schema)


def parents_of(record: dict) -> set[str]:
    """Lower-cased parent ids from the tags (any relation)."""
    out = set()
    for tag in record.get("tags") or []:
        if tag.startswith("base_model:"):
            rest = tag[len("base_model:") :]
            out.add(rest.split(":", 1)[1].lower() if ":" in rest else rest.lower())
    return out


def derivative_truth(models: list[dict], family_of) -> dict[str, dict[str, int]]:
    """Per family: n_direct_derivatives, n_transitive_derivatives, derivative_downloads_30d / _all_time and
    max_depth (the largest shortest-chain depth), by a plain BFS from the family's official models (self-loops,
    cycles and dead parents end by construction)."""
    by_key = {m["id"].lower(): m for m in models}
    children: dict[str, set[str]] = {}
    for m in models:
        for p in parents_of(m):
            if p != m["id"].lower():
                children.setdefault(p, set()).add(m["id"].lower())
    official: dict[str, set[str]] = {}
    for m in models:
        fam = family_of(m["id"])
        if fam:
            official.setdefault(fam, set()).add(m["id"].lower())
    truth = {}
    for fam, roots in official.items():
        depth, queue = dict.fromkeys(roots, 0), deque(roots)
        while queue:
            parent = queue.popleft()
            for c in children.get(parent, ()):
                if c not in depth:
                    depth[c] = depth[parent] + 1
                    queue.append(c)
        seen = set(depth)
        derived = seen - roots
        direct = {c for r in roots for c in children.get(r, ())} - roots
        truth[fam] = {
            "n_direct_derivatives": len(direct),
            "n_transitive_derivatives": len(derived),
            "derivative_downloads_30d": sum(by_key[k].get("downloads") or 0 for k in derived),
            "derivative_downloads_all_time": sum(by_key[k].get("downloadsAllTime") or 0 for k in derived),
            "max_depth": max(depth.values()),
        }
    return truth


class WholeHub(FakeHub):
    """FakeHub whose whole-Hub listing (no author, no filter) keeps its sorted order between pages: a crawl of
    100k models stays fast. Everything else (faults, quota, 429s, Link) is FakeHub's."""

    def __init__(self, models, **kw):
        kw.setdefault("page_size", 1000)
        super().__init__(models=models, **kw)
        self._sorted: dict[str, list[dict]] = {}

    def _list(self, query: dict, raw_query: str):
        if query.get("author") or query.get("filter"):
            return super()._list(query, raw_query)
        sort = query.get("sort", ["trendingScore"])[0]
        if sort not in self._sorted:
            from tests.fakes.fake_hub import SORT_FIELDS

            key = SORT_FIELDS.get(sort, "trendingScore")
            self._sorted[sort] = sorted(self.models.values(), key=lambda m: (m.get(key) or 0, m["_id"]), reverse=True)
        saved, self.models = self.models, _Ordered(self._sorted[sort])
        try:
            return super()._list(query, raw_query)
        finally:
            self.models = saved


class _Ordered(dict):
    """A models mapping whose values() is a pre-sorted list (FakeHub._list re-sorts it: already in order)."""

    def __init__(self, ordered: list[dict]):
        super().__init__()
        self._ordered = ordered

    def values(self):
        return self._ordered


def anomaly_truth(models: list[dict], family_of) -> dict[str, int]:
    """What the warn check hub_graph_anomalies counts, computed independently (networkx): self-loops, edges to
    parents not listed, and, within the family trees (the official models and their descendants), the models
    that are both reachable from a cycle and reach one (cycle members included), cycles being the strongly
    connected components of two or more models."""
    import networkx as nx

    listed = {m["id"].lower() for m in models}
    graph = nx.DiGraph()
    self_loops, dead = 0, set()
    for m in models:
        child = m["id"].lower()
        for parent in parents_of(m):
            if parent == child:
                self_loops += 1
            elif parent not in listed:
                dead.add((child, parent))
            else:
                graph.add_edge(parent, child)
    official = {m["id"].lower() for m in models if family_of(m["id"])} & set(graph)
    graph = graph.subgraph(official.union(*(nx.descendants(graph, o) for o in official)))
    on_cycle = set().union(*(c for c in nx.strongly_connected_components(graph) if len(c) > 1))
    downstream, upstream = set(on_cycle), set(on_cycle)
    for node in on_cycle:
        downstream |= nx.descendants(graph, node)
        upstream |= nx.ancestors(graph, node)
    return {
        "n_self_loops": self_loops,
        "n_models_on_cycles": len(downstream & upstream),
        "n_dead_parent_edges": len(dead),
        "n_dead_parents": len({p for _, p in dead}),
    }
