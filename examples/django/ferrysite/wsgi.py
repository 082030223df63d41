"""The standard Django WSGI entry point: `python3 -m ferry_wsgi ferrysite.wsgi:application`."""
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ferrysite.settings")

application = get_wsgi_application()
