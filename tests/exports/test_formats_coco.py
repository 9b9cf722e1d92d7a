"""The COCO writer as a pure module: parts written separately assemble into one file numbered 1..n."""

import io

from exports.formats import coco, segments
from labelyard import jsonio

CONFIGURATION = {
    "entries": [
        {"key": "sign", "name": "Sign", "kind": "rectangle"},
        {"key": "lane", "name": "Lane", "kind": "line"},
    ]
}


def image(*rectangles):
    geometries = [{"id": f"s{i}", "class": "sign", "coordinates": list(r)} for i, r in enumerate(rectangles)]
    geometries.append({"id": "l", "class": "lane", "coordinates": [[0, 0], [5, 5]]})
    return {"width": 40, "height": 30, "document": {"geometries": geometries}}


def part(categories, images):
    stream = io.BytesIO()
    count = coco.write_part(stream, categories, images)
    stream.seek(0)
    return stream, count


def test_parts_assemble_with_ids_in_order():
    """Image ids follow the images across parts; annotation ids run 1..n; an image without areas keeps its id."""
    categories = segments.categories(CONFIGURATION, segments.VECTOR)
    first, first_count = part(categories, [image((1, 2, 3, 4)), image()])
    second, second_count = part(categories, [image((5, 6, 7, 8), (9, 10, 2, 2))])
    names = [{"file_name": f"{n}.jpg", "width": 40, "height": 30, "media": f"m{n}"} for n in range(3)]
    out = io.BytesIO()
    assert coco.write(out, {"description": "t"}, categories, names, [first, second]) == (3, 3)
    assert (first_count, second_count) == (1, 2)
    data = jsonio.loads(out.getvalue())
    assert [i["id"] for i in data["images"]] == [1, 2, 3]
    assert [(a["id"], a["image_id"], a["bbox"]) for a in data["annotations"]] == [
        (1, 1, [1.0, 2.0, 3.0, 4.0]),
        (2, 3, [5.0, 6.0, 7.0, 8.0]),
        (3, 3, [9.0, 10.0, 2.0, 2.0]),
    ]
    assert data["annotations"][0]["area"] == 12 and data["annotations"][0]["iscrowd"] == 0


def test_no_images_is_valid_coco():
    """A release without labelled images still writes a loadable file with empty arrays."""
    categories = segments.categories(CONFIGURATION, segments.VECTOR)
    empty, _ = part(categories, [])
    out = io.BytesIO()
    assert coco.write(out, {}, categories, [], [empty]) == (0, 0)
    data = jsonio.loads(out.getvalue())
    assert data["images"] == [] and data["annotations"] == []
