from django.urls import path

from . import views

urlpatterns = [
    path("", views.registrant_list, name="registrant_list"),
    path("export.csv", views.registrant_export, name="registrant_export"),
    path("<int:pk>/", views.registrant_detail, name="registrant_detail"),
]
