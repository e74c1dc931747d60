"""Stand-in for the YOLOv5 `models` package (see ../README.md)."""
