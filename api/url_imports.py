"""The URL import API: ``GET/POST /api/datasets/{id}/url-imports`` and ``GET /api/url-imports/{id}``.

A POST queues the URLs for a worker (labeling/url_imports.py); nothing is fetched in the request.
Access is the dataset's, as for its images (api/projects.py dataset_for).
"""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from api import url_import_serializers as serializers
from api.projects import MAX_ID, dataset_for
from labeling.url_imports import start_url_import, with_counts
from projects.models import UrlImportJob


class DatasetUrlImports(generics.ListAPIView):
    """A dataset's URL imports, newest first. POST ``{"urls": [...]}`` queues the images to be
    fetched by a worker and answers 202 with the job; ``url-imports/{id}`` shows its progress."""

    serializer_class = serializers.UrlImportSerializer

    def get_queryset(self):
        dataset = dataset_for(self.request, self.kwargs["pk"], manage=True)
        return with_counts(dataset.url_imports.all())

    @extend_schema(
        request=serializers.UrlImportRequestSerializer, responses={202: serializers.UrlImportDetailSerializer}
    )
    def post(self, request, pk):
        dataset = dataset_for(request, pk, manage=True)
        body = serializers.UrlImportRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        job = start_url_import(dataset, body.validated_data["urls"], user=request.user)
        return Response(serializers.UrlImportDetailSerializer(url_import(job.pk)).data, status=status.HTTP_202_ACCEPTED)


def url_import(job_id):
    return with_counts(UrlImportJob.objects.filter(pk=job_id)).prefetch_related("items").first()


class UrlImportDetail(generics.RetrieveAPIView):
    """One URL import: its state, counts, and each URL's outcome (the stored image, or why not)."""

    serializer_class = serializers.UrlImportDetailSerializer

    def get_object(self):
        job = url_import(self.kwargs["job_id"]) if self.kwargs["job_id"] <= MAX_ID else None
        if job is None:
            raise NotFound("No such URL import.")
        dataset_for(self.request, job.dataset_id, manage=True)
        return job
