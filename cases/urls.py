from django.urls import path

from . import views

urlpatterns: list = [
    path("hits/", views.hit_list, name="hit_list"),
    path("hits/queue/", views.hit_queue, name="hit_queue"),
    path("hits/new/", views.hit_create, name="hit_create"),
    path("hits/import/", views.hit_import, name="hit_import"),
    path("hits/<int:pk>/", views.hit_detail, name="hit_detail"),
    path("hits/<int:pk>/decide/", views.hit_decide, name="hit_decide"),
    path("hits/<int:pk>/rematch/", views.hit_rematch, name="hit_rematch"),
]
