from django.http import JsonResponse


def healthz(request):
    """The process is up and serving; it does not touch the database on purpose."""
    return JsonResponse({"status": "ok"})
