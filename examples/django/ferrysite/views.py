"""The same routes as examples/flask/app.py, the Django way."""

import hashlib
import json
import time

from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe


@require_safe
def hello(request):
    return HttpResponse(f"Hello, {request.GET.get('name', 'World')}!", content_type="text/html; charset=utf-8")


@csrf_exempt
@require_POST
def echo_json(request):
    return JsonResponse({"got": json.loads(request.body), "type": request.content_type})


@csrf_exempt
@require_POST
def echo_form(request):
    return JsonResponse({"form": {k: request.POST.getlist(k) for k in request.POST}})


@csrf_exempt
@require_POST
def upload(request):
    f = request.FILES["file"]
    data = f.read()
    return JsonResponse(
        {
            "field": request.POST.get("note"),
            "filename": f.name,
            "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
        }
    )


@csrf_exempt
@require_POST
def raw_bytes(request):
    data = request.body
    return JsonResponse({"size": len(data), "hex": data.hex()})


def raw_path(request, rest):
    # Django decodes PATH_INFO's bytes as UTF-8 and re-percent-encodes the bytes that are not.
    return JsonResponse({"path_info": request.path_info, "script_name": request.META["SCRIPT_NAME"]})


def set_cookie(request):
    response = HttpResponse("cookie set")
    response.set_cookie("flavour", request.GET.get("value", "oatmeal"))
    return response


def get_cookie(request):
    return JsonResponse({"flavour": request.COOKIES.get("flavour")})


@csrf_exempt
@require_POST
def session_incr(request):
    request.session["count"] = request.session.get("count", 0) + 1
    return JsonResponse({"count": request.session["count"]})


def go_elsewhere(request):
    return redirect(reverse("hello") + "?name=redirected")


def stream(request):
    count = int(request.GET.get("n", "5"))

    def generate():
        for i in range(count):
            yield f"chunk {i}\n"
            time.sleep(0.01)

    return StreamingHttpResponse(generate(), content_type="text/plain")


def boom(request):
    raise RuntimeError("the example app fails on purpose")
