"""The COCO writer as a pure module: parts written separately assemble into one file numbered 1..n."""

import io

from hypothesis import given, settings
from hypothesis import strategies as st
from pycocotools import mask as coco_mask

from formats import coco, jsonio, segments
from raster import masks

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


def test_segmentations_without_pixels_have_empty_masks():
    """Holed segmentations that cover no pixel centre (alone in their batch) get an all-outside RLE and area 0."""
    configuration = {"entries": [{"key": "road", "name": "Road", "kind": "image_segmentation"}]}
    categories = segments.categories(configuration, segments.SEGMENTATION_BITMAP)
    tiny = [[[1.1, 1.1], [1.4, 1.1], [1.4, 1.4], [1.1, 1.4]], [[1.2, 1.2], [1.3, 1.2], [1.3, 1.3]]]
    road = {"width": 8, "height": 6, "document": {"geometries": [{"id": "r", "class": "road", "coordinates": tiny}]}}
    stream, count = part(categories, [road, road])
    out = io.BytesIO()
    names = [{"file_name": f"{n}.jpg", "width": 8, "height": 6, "media": f"m{n}"} for n in range(2)]
    coco.write(out, {}, categories, names, [stream])
    annotations = jsonio.loads(out.getvalue())["annotations"]
    assert count == 2 and [a["area"] for a in annotations] == [0, 0]
    assert all(coco_mask.decode(a["segmentation"]).sum() == 0 for a in annotations)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(-3, 9), st.integers(-3, 7), st.integers(0, 12), st.integers(0, 9)), min_size=1))
def test_run_lengths_decode_to_labelyards_masks(boxes):
    """In one batch, every holed segmentation's RLE decodes exactly to masks.render() of it, area included.

    Boxes may be empty, leave the image or reach its last pixel (the run that ends at the image's size).
    """
    configuration = {"entries": [{"key": "road", "name": "Road", "kind": "image_segmentation"}]}
    categories = segments.categories(configuration, segments.SEGMENTATION_BITMAP)
    width, height = 8, 6
    images, expected = [], []
    for x, y, w, h in boxes:
        rings = [[[x, y], [x + w + 0.5, y], [x + w + 0.5, y + h + 0.5], [x, y + h + 0.5]],
                 [[x + 1, y + 1], [x + 1.5, y + 1], [x + 1.5, y + 1.5]]]  # fmt: skip
        geometry = {"id": "r", "class": "road", "coordinates": rings}
        images.append({"width": width, "height": height, "document": {"geometries": [geometry]}})
        expected.append(masks.render(width, height, [rings]) > 0)
    stream, _ = part(categories, images)
    out = io.BytesIO()
    names = [{"file_name": f"{n}.jpg", "width": width, "height": height, "media": f"m{n}"} for n in range(len(images))]
    coco.write(out, {}, categories, names, [stream])
    for annotation, mask in zip(jsonio.loads(out.getvalue())["annotations"], expected, strict=True):
        assert (coco_mask.decode(annotation["segmentation"]).astype(bool) == mask).all()
        assert annotation["area"] == mask.sum()
