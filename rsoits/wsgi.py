import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rsoits.settings")
application = get_wsgi_application()

# Everything loaded so far (Django, the apps, URL patterns, compiled templates' modules) lives
# as long as the process: moved out of the collector's generations, it is no longer traversed by
# every full collection that the objects of each request trigger.
gc.freeze()
