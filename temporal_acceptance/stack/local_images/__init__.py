"""Offline builds of images with the official images' environment contract (`make images`)."""
