"""The bucket source API: ``GET/POST /api/datasets/{id}/bucket-sources``, ``GET/PATCH/DELETE
/api/bucket-sources/{id}``, ``GET/POST /api/bucket-sources/{id}/syncs`` and ``GET /api/bucket-syncs/{id}``.

Connecting a source and "sync again" queue a sync for a worker (labeling/bucket_syncs.py); nothing
is listed or read in the request. Access is the dataset's manager's, as for URL imports.
"""

from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from api import bucket_serializers as serializers
from api.projects import MAX_ID, dataset_for
from labeling import bucket_syncs
from projects import buckets
from projects.models import BucketSource, BucketSyncJob


def _checked(body_class, request):
    body = body_class(data=request.data)
    body.is_valid(raise_exception=True)
    return body.validated_data


def source_for(request, source_id):
    source = BucketSource.objects.filter(pk=source_id).first() if source_id <= MAX_ID else None
    if source is None:
        raise NotFound("No such bucket source.")
    dataset_for(request, source.dataset_id, manage=True)
    return source


class DatasetBucketSources(generics.ListAPIView):
    """A dataset's bucket sources. POST connects one and queues its first sync (202 with the source;
    its `last_sync` shows the progress); the images stay in the bucket."""

    serializer_class = serializers.BucketSourceSerializer

    def get_queryset(self):
        return dataset_for(self.request, self.kwargs["pk"], manage=True).bucket_sources.all()

    @extend_schema(
        request=serializers.BucketSourceRequestSerializer, responses={202: serializers.BucketSourceSerializer}
    )
    def post(self, request, pk):
        dataset = dataset_for(request, pk, manage=True)
        fields = _checked(serializers.BucketSourceRequestSerializer, request)
        try:
            source, _ = bucket_syncs.connect(dataset, fields, request.user)
        except buckets.SourceRejected as rejected:
            raise ValidationError(rejected.errors) from rejected
        return Response(serializers.BucketSourceSerializer(source).data, status=status.HTTP_202_ACCEPTED)


class BucketSourceDetail(generics.RetrieveAPIView):
    """One bucket source. PATCH changes its endpoint, region or credentials; DELETE disconnects it,
    removing its images (not the objects) with their tasks and labels."""

    serializer_class = serializers.BucketSourceSerializer

    def get_object(self):
        return source_for(self.request, self.kwargs["source_id"])

    @extend_schema(request=serializers.BucketSourceRequestSerializer, responses=serializers.BucketSourceSerializer)
    def patch(self, request, source_id):
        source = source_for(request, source_id)
        fields = _checked(serializers.BucketSourceRequestSerializer, request)
        try:
            with transaction.atomic():
                buckets.change_source(source, fields, request.user)
        except buckets.SourceRejected as rejected:
            raise ValidationError(rejected.errors) from rejected
        return Response(serializers.BucketSourceSerializer(source).data)

    @extend_schema(responses={204: None})
    def delete(self, request, source_id):
        buckets.remove_source(source_for(request, source_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class BucketSourceSyncs(generics.ListAPIView):
    """A source's syncs, newest first. POST syncs again: new keys become images and tasks; 202 with
    the new job, or 200 with the one already queued or running."""

    serializer_class = serializers.BucketSyncSerializer

    def get_queryset(self):
        return source_for(self.request, self.kwargs["source_id"]).syncs.all()

    @extend_schema(request=None, responses=dict.fromkeys((200, 202), serializers.BucketSyncSerializer))
    def post(self, request, source_id):
        job, created = bucket_syncs.start_sync(source_for(request, source_id), request.user)
        answer = status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK
        return Response(serializers.BucketSyncSerializer(job).data, status=answer)


class BucketSyncDetail(generics.RetrieveAPIView):
    """One sync: its state, progress, counts, the reasons objects were refused, and why a failed one stopped."""

    serializer_class = serializers.BucketSyncSerializer

    def get_object(self):
        job_id = self.kwargs["job_id"]
        job = BucketSyncJob.objects.filter(pk=job_id).first() if job_id <= MAX_ID else None
        if job is None:
            raise NotFound("No such bucket sync.")
        source_for(self.request, job.source_id)
        return job
