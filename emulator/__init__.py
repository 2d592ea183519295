"""The local target's AWS: moto_server, plus what the platform needs of AWS that moto lacks.

`process` starts, records and stops it; `server` is its own process (moto's WSGI application
with `gaps` filled, functions run by `functions`, Kinesis polled by `streams`, DynamoDB requests
one at a time by `dynamodb`). It imports nothing of the platform: it stands in for AWS.
"""
