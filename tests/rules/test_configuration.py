"""Label configuration rules: every rule refuses with a message naming the entry and the rule."""

import pytest

from rules import configuration as config
from rules.configuration import ConfigurationError, parse


def errors_of(data):
    with pytest.raises(ConfigurationError) as caught:
        parse(data)
    return caught.value.errors


def entry(key, kind, **fields):
    return {"key": key, "kind": kind, **fields}


OPTION = {"options": ["a", "b"]}


class TestParse:
    def test_every_kind_nested_as_allowed(self):
        data = {
            "entries": [
                entry("car", "polygon", children=[entry("car_type", "option", required=True, **OPTION)]),
                entry("person", "rectangle", children=[entry("head", "point", children=[entry("q", "freetext")])]),
                entry("lane", "line"),
                entry("road", "image_segmentation", children=[entry("surface", "checklist", **OPTION)]),
                entry("tod", "option", **OPTION, children=[entry("lighting", "checklist", **OPTION)]),
            ]
        }
        result = parse(data)
        car = result["entries"][0]
        assert car["color"].startswith("#")
        assert car["children"][0]["options"] == [{"key": "a", "name": "a"}, {"key": "b", "name": "b"}]
        assert result["entries"][1]["children"][0]["children"][0]["max_length"] == config.DEFAULT_FREETEXT_LENGTH

    def test_keys_are_stored_lower_case(self):
        assert parse([entry("Car", "polygon")])["entries"][0]["key"] == "car"

    def test_parse_is_idempotent(self):
        once = parse([entry("car", "polygon", children=[entry("t", "option", **OPTION)])])
        assert parse(once) == once

    def test_empty_configuration(self):
        assert parse({"entries": []}) == {"entries": []}


class TestRules:
    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ([entry("car", "polygon"), entry("car", "line")], "`car`: another root entry has the same key"),
            (
                [entry("car", "polygon", children=[entry("t", "option", **OPTION), entry("t", "freetext")])],
                "`car` > `t`: key `t` is used twice under `car`",
            ),
            (
                [entry("car", "polygon", children=[entry("car", "option", **OPTION)])],
                "`car` > `car`: key `car` is used twice under `car`",
            ),
            (
                [entry("q", "option", options=["a"], children=[entry("box", "rectangle")])],
                "`q` > `box`: a geometry cannot be nested under a classification",
            ),
            (
                [entry("a", "polygon", children=[entry("b", "point", children=[entry("c", "point")])])],
                "`a` > `b` > `c`: nested geometries may only sit directly under a root geometry",
            ),
            (
                [entry("a", "polygon", children=[entry("seg", "image_segmentation")])],
                "`a` > `seg`: image_segmentation classes cannot be nested",
            ),
            ([entry("a", "option")], "`a`: option questions need at least one option"),
            ([entry("a", "checklist", options=["x", "x"])], "`a`: option `x` appears twice"),
            ([entry("a", "freetext", max_length=0)], "`a`: max_length must be a whole number from 1 to 10000"),
            ([entry("a", "circle")], "`a`: kind must be one of"),
            ([entry("bad key!", "point")], "`bad key!`: key must be 1 to 56 letters"),
            ([entry("label", "point")], "`label`: `label` is a reserved word"),
            ([{"kind": "point"}], "every entry needs a key"),
            ([entry("a", "point", shortcut="1"), entry("b", "line", shortcut="1")], "shortcut 1 is already used"),
            ([entry("a", "point", shortcut="12")], "`a`: shortcut must be one digit 0-9"),
            ([entry("a", "point", color="red")], "`a`: color must look like #1f77b4"),
            ([entry("a", "option", color="#ffffff", **OPTION)], "`a`: `color` belongs to geometries"),
            ([entry("a", "point", required=True)], "`a`: `required` belongs to classifications"),
            ([entry("a", "point", extra=1)], "`a`: unknown field(s) extra"),
            ([entry("a", "freetext", required="yes")], "`a`: required must be true or false"),
        ],
    )
    def test_rule(self, data, message):
        errors = errors_of(data)
        assert any(message in error for error in errors), errors

    def test_depth_is_limited_to_four_levels(self):
        deep = entry("q1", "option", **OPTION)
        node = deep
        for level in range(2, 6):
            child = entry(f"q{level}", "option", **OPTION)
            node["children"] = [child]
            node = child
        errors = errors_of([deep])
        assert errors == ["`q1` > `q2` > `q3` > `q4`: the tree may be at most 4 levels deep"]

    def test_every_error_is_reported(self):
        errors = errors_of([entry("a", "circle"), entry("b", "option"), entry("a", "point")])
        assert len(errors) == 3

    def test_not_a_list(self):
        assert errors_of("nope") == ["A configuration is an object with an `entries` list, or a list of entries."]

    def test_same_key_under_two_roots_is_allowed(self):
        data = [
            entry("car", "polygon", children=[entry("color", "option", **OPTION)]),
            entry("bus", "polygon", children=[entry("color", "option", **OPTION)]),
        ]
        assert len(parse(data)["entries"]) == 2


class TestDataGymBody:
    BODY = [
        {
            "entryKey": "car",
            "entryValue": "Car",
            "type": "polygon",
            "color": "#e6194b",
            "shortcut": 1,
            "children": [
                {
                    "entryKey": "car_type",
                    "entryValue": "Car type",
                    "type": "select",
                    "required": True,
                    "options": {"suv": "SUV", "sedan": "Sedan", "pickup": "Pickup"},
                    "children": [],
                },
                {
                    "entryKey": "damage",
                    "entryValue": "Damage",
                    "type": "checklist",
                    "required": False,
                    "options": {"dent": "Dent", "scratch": "Scratch"},
                    "children": [],
                },
            ],
        },
        {
            "entryKey": "weather",
            "entryValue": "Weather",
            "type": "select",
            "required": False,
            "options": {"fair": "Fair", "rainy": "Rainy"},
            "children": [],
        },
        {
            "entryKey": "comment",
            "entryValue": "Comment",
            "type": "freetext",
            "required": False,
            "maxLength": 255,
            "children": [],
        },
    ]

    def test_client_body_is_accepted(self):
        result = parse(self.BODY)
        car, weather, comment = result["entries"]
        assert car["shortcut"] == "1"
        assert car["children"][0]["kind"] == "option"
        assert car["children"][0]["options"][0] == {"key": "suv", "name": "SUV"}
        assert weather["kind"] == "option"
        assert comment["max_length"] == 255

    def test_round_trip_through_datagym_form(self):
        result = parse(self.BODY)
        assert parse(config.to_datagym(result)) == result

    def test_radio_is_refused(self):
        errors = errors_of([{"entryKey": "w", "entryValue": "W", "type": "radio", "options": {"a": "A"}}])
        assert "`w`: kind must be one of" in errors[0]


class TestIndex:
    def test_lookups(self):
        index = config.Index(
            parse(
                [
                    entry("person", "rectangle", children=[entry("head", "point"), entry("age", "option", **OPTION)]),
                    entry("tod", "option", **OPTION),
                ]
            )
        )
        assert list(index.geometries) == ["person"]
        assert list(index.questions) == ["tod"]
        assert list(index.geometries["person"].nested_geometries) == ["head"]
        assert index.geometries["person"].questions["age"].option_keys == ["a", "b"]
        assert not index.has_segmentation
