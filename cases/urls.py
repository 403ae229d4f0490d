from django.urls import path

from .views import dod

urlpatterns = [
    # DoD installation monitoring and UCMJ separation notices
    path("monitoring/", dod.monitoring_list, name="monitoring_list"),
    path("monitoring/new/", dod.monitoring_create, name="monitoring_create"),
    path("monitoring/<int:pk>/", dod.monitoring_detail, name="monitoring_detail"),
    path("monitoring/<int:pk>/plan/", dod.monitoring_update, name="monitoring_update"),
    path("monitoring/<int:pk>/checks/", dod.monitoring_check, name="monitoring_check"),
    path("monitoring/<int:pk>/end/", dod.monitoring_end, name="monitoring_end"),
    path("separations/", dod.separation_list, name="separation_list"),
    path("separations/new/", dod.separation_create, name="separation_create"),
    path("separations/<int:pk>/", dod.separation_detail, name="separation_detail"),
    path("separations/<int:pk>/acknowledge/", dod.separation_acknowledge, name="separation_acknowledge"),
]
