import gc
import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rsoits.settings")
application = get_wsgi_application()

if settings.MATCH_WARM_UP_AT_START:
    # The matching engine's name frequencies, read before the first request rather than by it.
    from registrants.matching.engine import warm_up

    warm_up()

# Everything loaded so far (Django, the apps, URL patterns, compiled templates' modules) lives
# as long as the process: moved out of the collector's generations, it is no longer traversed by
# every full collection that the objects of each request trigger.
gc.freeze()
