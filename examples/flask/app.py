"""A small Flask app served by Ferry:

    node bin/ferry.js frontend &                      # built-in config: http://127.0.0.1:6767
    PYTHONPATH=handler/python python3 -m ferry_wsgi app:app --chdir examples/flask

It is also the app of test/integration/python/flask.test.ts: every route below is checked
through a real frontend.
"""

import hashlib
import time

from flask import Flask, Response, abort, jsonify, redirect, request, session, url_for

app = Flask(__name__)
app.secret_key = "ferry-example-not-secret"


@app.get("/hello")
def hello():
    return f"Hello, {request.args.get('name', 'World')}!"


@app.post("/json")
def echo_json():
    return jsonify(got=request.get_json(), type=request.mimetype)


@app.post("/form")
def echo_form():
    return jsonify(form=request.form.to_dict(flat=False))


@app.post("/upload")
def upload():
    f = request.files["file"]
    data = f.read()
    return jsonify(
        field=request.form.get("note"),
        filename=f.filename,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


@app.post("/bytes")
def raw_bytes():
    data = request.get_data()
    return jsonify(size=len(data), hex=data.hex())


@app.get("/path/<path:rest>")
def raw_path(rest):
    # PEP 3333: PATH_INFO holds the request's bytes, one latin-1 code point each.
    return jsonify(
        path_info_hex=request.environ["PATH_INFO"].encode("latin-1").hex(),
        script_name=request.environ["SCRIPT_NAME"],
    )


@app.get("/cookie/set")
def set_cookie():
    response = Response("cookie set")
    response.set_cookie("flavour", request.args.get("value", "oatmeal"))
    return response


@app.get("/cookie/get")
def get_cookie():
    return jsonify(flavour=request.cookies.get("flavour"))


@app.post("/session/incr")
def session_incr():
    session["count"] = session.get("count", 0) + 1
    return jsonify(count=session["count"])


@app.get("/redirect")
def go_elsewhere():
    return redirect(url_for("hello", name="redirected"))


@app.get("/stream")
def stream():
    count = int(request.args.get("n", "5"))

    def generate():
        for i in range(count):
            yield f"chunk {i}\n"
            time.sleep(0.01)

    return Response(generate(), mimetype="text/plain")


@app.get("/boom")
def boom():
    raise RuntimeError("the example app fails on purpose")


@app.get("/teapot")
def teapot():
    abort(418)
