"""Create a bucket on a local S3-compatible server (scripts/test.sh: moto on loopback): s3-bucket.py ENDPOINT NAME."""

import sys

import boto3

endpoint, name = sys.argv[1], sys.argv[2]
client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test",
                      aws_secret_access_key="test")
client.create_bucket(Bucket=name)
