"""Trade analytics: validation, exactly-once rollups in DynamoDB and a raw archive in S3."""
