"""Flask hello for the WSGI comparison: the same app under gunicorn, nginx -> gunicorn and Ferry.

/ returns "Hello, World!"; /io returns it after 20 ms of blocking I/O (time.sleep), the shape of
a sync worker waiting on a database.
"""
import time

from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello():
    return "Hello, World!"


@app.route("/io")
def io():
    time.sleep(0.02)
    return "Hello, World!"
