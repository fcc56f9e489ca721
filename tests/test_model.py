"""The canonical model: the record dataclasses and the kind descriptions say the same thing."""

from __future__ import annotations

import dataclasses

import pytest

from smartfactory import model
from smartfactory.model import KINDS, EquipmentPath

RECORDS = {
    "states": model.StateInterval,
    "counts": model.Count,
    "products": model.Product,
    "measurements": model.Measurement,
    "inspections": model.Inspection,
    "orders": model.Order,
    "lots": model.Lot,
    "genealogy": model.LotLink,
}


@pytest.mark.parametrize("kind", sorted(RECORDS))
def test_dataclass_fields_match_the_kind(kind):
    names = {f.name for f in dataclasses.fields(RECORDS[kind])}
    assert names == set(KINDS[kind].columns)


def test_every_kind_key_is_made_of_its_fields():
    for k in KINDS.values():
        assert set(k.key) <= set(k.columns), k.name
        assert set(k.detect) <= set(k.columns), k.name


def test_equipment_path_round_trip():
    p = EquipmentPath.parse("/hanbit/plant1/moulding/L1/M01/")
    assert str(p) == "hanbit/plant1/moulding/L1/M01"
    with pytest.raises(ValueError, match="has 3 parts"):
        EquipmentPath.parse("hanbit/plant1/M01")


def test_count_produced_is_the_sum():
    from datetime import UTC, datetime

    c = model.Count("M1", datetime(2025, 1, 1, tzinfo=UTC), "P1", good=10, scrap=2, rework=1)
    assert c.produced == 13
