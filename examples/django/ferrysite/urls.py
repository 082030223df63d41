from django.urls import path

from . import views

urlpatterns = [
    path("hello", views.hello, name="hello"),
    path("json", views.echo_json),
    path("form", views.echo_form),
    path("upload", views.upload),
    path("bytes", views.raw_bytes),
    path("path/<path:rest>", views.raw_path),
    path("cookie/set", views.set_cookie),
    path("cookie/get", views.get_cookie),
    path("session/incr", views.session_incr),
    path("redirect", views.go_elsewhere),
    path("stream", views.stream),
    path("boom", views.boom),
]
