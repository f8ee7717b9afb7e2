#!/usr/bin/env python3
"""Provisions what `scripts/coldstart.py` needs on the running emulators: a table with the
layout of `adgen_aws::create_table` (pk/sk, GSIs gsi1 and gsi2), the generation and delivery
queues, a bucket, and the
API key of the `events/*.json` requests. Prints the `export` lines for the functions.

  eval "$(scripts/emulators.sh start)"        # ADGEN_*_ENDPOINT and test credentials
  eval "$(.tools/venv/bin/python scripts/coldstart-setup.py)"
  python3 scripts/coldstart.py target/release/submit events/submit-valid.json 7

Runs with the Python of `.tools/venv` (moto brings boto3).
"""
import hashlib
import os
import time
import uuid

import boto3

EVENTS_KEY = "sk_live_events_0123456789abcdefghijklmnopqrstuv"


def main() -> None:
    # Emulators only: dummy credentials, and never the instance metadata address.
    for name, value in (("AWS_ACCESS_KEY_ID", "test"), ("AWS_SECRET_ACCESS_KEY", "test"),
                        ("AWS_DEFAULT_REGION", "us-east-1"), ("AWS_EC2_METADATA_DISABLED", "true")):
        os.environ.setdefault(name, value)
    ddb_url, sqs_url, s3_url = (os.environ[f"ADGEN_{n}_ENDPOINT"] for n in ("DYNAMODB", "SQS", "S3"))
    name = f"adgen-coldstart-{uuid.uuid4().hex[:8]}"
    ddb = boto3.client("dynamodb", endpoint_url=ddb_url)
    attrs = ["pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk"]

    def index(n: int) -> dict:
        return {
            "IndexName": f"gsi{n}",
            "KeySchema": [
                {"AttributeName": f"gsi{n}pk", "KeyType": "HASH"},
                {"AttributeName": f"gsi{n}sk", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
        }

    ddb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in attrs],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[index(1), index(2)],
    )
    key_hash = hashlib.sha256(EVENTS_KEY.encode()).hexdigest()
    ddb.put_item(
        TableName=name,
        Item={
            "pk": {"S": f"APIKEY#{key_hash}"},
            "sk": {"S": "APIKEY"},
            "org_id": {"S": str(uuid.uuid4())},
            "state": {"S": "active"},
            "created_at": {"N": str(int(time.time()))},
        },
    )
    sqs = boto3.client("sqs", endpoint_url=sqs_url)
    queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
    delivery_url = sqs.create_queue(QueueName=f"{name}-deliveries")["QueueUrl"]
    boto3.client("s3", endpoint_url=s3_url).create_bucket(Bucket=name)
    # moto serves EventBridge beside SQS; the default bus needs no creating.
    print(
        f"export ADGEN_TABLE={name} ADGEN_BUCKET={name} ADGEN_QUEUE_URL={queue_url} "
        f"ADGEN_DELIVERY_QUEUE_URL={delivery_url} ADGEN_EVENTS_ENDPOINT={sqs_url}"
    )


if __name__ == "__main__":
    main()
