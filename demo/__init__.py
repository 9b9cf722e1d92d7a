"""The demo project (``seed_demo``): users, street-scene images and some finished tasks for a first look."""
