from django.urls import path

from dossier import views

app_name = "dossier"

urlpatterns = [
    path("", views.DossierHomeView.as_view(), name="home"),
]
