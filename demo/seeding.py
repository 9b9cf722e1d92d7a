"""The demo project: users, generated street-scene images, a configuration with every entry kind,
and a few labelled tasks. Everything is created once; running again changes nothing."""

import random
import secrets
import tempfile
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from PIL import Image, ImageDraw

from labeling.creation import create_project
from labeling.labels import save_labels
from labeling.lifecycle import move, move_all
from labeling.states import State
from projects.models import Project, ProjectMember

PROJECT_NAME = "Demo: street scenes"
IMAGE_COUNT = 12
LABELED_COUNT = 4
USERS = (("admin", True), ("labeler", False), ("reviewer", False))

CONFIGURATION = {
    "entries": [
        {"key": "car", "name": "Car", "kind": "polygon", "shortcut": "1", "children": [
            {"key": "car_type", "name": "Car type", "kind": "option", "required": True,
             "options": ["suv", "sedan", "pickup"]},
            {"key": "damage", "name": "Damage", "kind": "checklist", "options": ["dent", "scratch", "broken_glass"],
             "children": [{"key": "severity", "name": "Severity", "kind": "option", "options": ["low", "high"]}]},
        ]},
        {"key": "pedestrian", "name": "Pedestrian", "kind": "rectangle", "shortcut": "2", "children": [
            {"key": "age_group", "name": "Age group", "kind": "option", "options": ["child", "adult", "senior"]},
            {"key": "head", "name": "Head", "kind": "point", "children": [
                {"key": "looking_at_camera", "name": "Looking at camera", "kind": "option", "options": ["yes", "no"]},
            ]},
        ]},
        {"key": "marking", "name": "Lane marking", "kind": "line", "shortcut": "3", "children": [
            {"key": "type_of_line", "name": "Type of line", "kind": "option", "options": ["solid", "dotted"]},
        ]},
        {"key": "traffic_light", "name": "Traffic light", "kind": "point", "shortcut": "4"},
        {"key": "road", "name": "Road", "kind": "image_segmentation", "shortcut": "5"},
        {"key": "tod", "name": "Time of day", "kind": "option", "required": True,
         "options": ["day", "night", "no_info_tod"],
         "children": [{"key": "lighting", "name": "Lighting", "kind": "checklist",
                       "options": ["sunlight", "street_lights", "headlights"]}]},
        {"key": "weather", "name": "Weather", "kind": "option", "options": ["fair", "rainy", "snow", "fog"]},
        {"key": "comment", "name": "Comment", "kind": "freetext", "max_length": 500},
    ]
}  # fmt: skip


def credentials():
    """Demo passwords, generated once and kept in the data folder so every run can show them."""
    path = Path(settings.DATA_DIR) / "demo-credentials.txt"
    if not path.exists():
        path.write_text("".join(f"{name} {secrets.token_urlsafe(9)}\n" for name, _ in USERS))
        path.chmod(0o600)
    return dict(line.split(" ", 1) for line in path.read_text().split("\n") if line)


def seed_demo():
    """Create the demo users and project if missing; returns (credentials, project, created)."""
    passwords = credentials()
    users = {}
    for name, is_admin in USERS:
        user, created = get_user_model().objects.get_or_create(
            username=name, defaults={"is_staff": is_admin, "is_superuser": is_admin}
        )
        if created:
            user.set_password(passwords[name])
            user.save(update_fields=["password"])
        users[name] = user
    project = Project.objects.filter(name=PROJECT_NAME, created_by=users["admin"]).first()
    if project is not None:
        return passwords, project, False
    with tempfile.TemporaryDirectory() as folder:
        for i in range(IMAGE_COUNT):
            street_image(i).save(Path(folder) / f"street_{i + 1:04d}.png")
        project = create_project(
            PROJECT_NAME,
            CONFIGURATION,
            owner=users["admin"],
            images_dir=folder,
            short_description="Generated street scenes with every kind of label class",
            description="A demo project made by `manage.py seed_demo`.",
        )
    for name, role in (("labeler", ProjectMember.Role.LABELER), ("reviewer", ProjectMember.Role.REVIEWER)):
        ProjectMember.objects.create(project=project, user=users[name], role=role)
    label_some_tasks(project, users["labeler"])
    return passwords, project, True


def street_image(seed, size=(640, 480)):
    """A simple generated street scene: sky, road, lane marks and a few cars."""
    rng = random.Random(seed)
    image = Image.new("RGB", size, (135, 180, 230))
    draw = ImageDraw.Draw(image)
    width, height = size
    draw.rectangle([0, height // 2, width, height], fill=(90, 90, 95))
    for x in range(0, width, 80):
        draw.rectangle([x + 10, int(height * 0.75), x + 50, int(height * 0.75) + 6], fill=(240, 240, 240))
    for _ in range(rng.randint(1, 3)):
        x, y = rng.randint(20, width - 160), rng.randint(height // 2, height - 90)
        color = tuple(rng.randint(30, 230) for _ in range(3))
        draw.rectangle([x, y, x + 130, y + 60], fill=color)
    return image


def demo_labels(width, height):
    """A labels document touching every entry kind of the demo configuration."""
    return {
        "geometries": [
            {"id": "g1", "class": "car", "source": "human",
             "coordinates": [[120, 340], [310, 338], [318, 452], [118, 455]],
             "classifications": {"car_type": {"values": ["sedan"]},
                                 "damage": {"values": ["dent"], "children": {"severity": {"values": ["low"]}}}}},
            {"id": "g2", "class": "pedestrian", "source": "human", "coordinates": [402, 80, 64, 190],
             "classifications": {"age_group": {"values": ["adult"]}},
             "nested": [{"id": "g3", "class": "head", "source": "human", "coordinates": [431, 97],
                         "classifications": {"looking_at_camera": {"values": ["no"]}}}]},
            {"id": "g4", "class": "marking", "source": "human", "coordinates": [[0, 410], [320, 375], [639, 340]],
             "classifications": {"type_of_line": {"values": ["dotted"]}}},
            {"id": "g5", "class": "traffic_light", "source": "human", "coordinates": [512, 44]},
            {"id": "g6", "class": "road", "source": "human",
             "coordinates": [[[0, 240], [width, 240], [width, height], [0, height]],
                             [[300, 400], [340, 400], [340, 440], [300, 440]]]},
        ],
        "classifications": {"tod": {"values": ["day"], "children": {"lighting": {"values": ["sunlight"]}}},
                            "weather": {"values": ["fair"]}},
    }  # fmt: skip


def label_some_tasks(project, labeler):
    for task in project.tasks.select_related("media", "project")[:LABELED_COUNT]:
        move(task, State.WAITING)
        move(task, State.IN_PROGRESS, labeler=labeler)
        save_labels(task, demo_labels(task.media.width, task.media.height), task.version, labeler)
        move(task, State.COMPLETED)
    move_all(project.tasks.all(), State.BACKLOG, State.WAITING)
