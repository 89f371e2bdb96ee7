"""Rendering: terminal tables now; the HTML report later."""
