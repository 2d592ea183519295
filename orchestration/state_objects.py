"""Small objects kept beside an environment's stacks in its state backend (lock, smoke records).

file:// backends hold them as files, s3:// backends as objects; gs://, azblob:// and Pulumi Cloud
hold none (`object_at` answers None, and each caller says what that means for it).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

# The S3 client of an s3:// backend, from its URL's options (gocloud's `region`, `endpoint`).
StateS3 = Callable[[Mapping[str, str]], Any]


class StateObject(Protocol):
    @property
    def where(self) -> str: ...

    def create(self, body: str) -> bool:
        """Create the object atomically; False when it already exists."""

    def put(self, body: str) -> None:
        """Write the object whole, replacing what is there."""

    def read(self) -> str | None: ...

    def delete(self) -> None: ...


@dataclass
class FileObject:
    path: Path

    @property
    def where(self) -> str:
        return str(self.path)

    def create(self, body: str) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            # POSIX O_CREAT|O_EXCL: fails if it exists, atomically.
            descriptor = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(descriptor, "w") as handle:
            handle.write(body)
        return True

    def put(self, body: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(body)
        temporary.replace(self.path)  # whole or not at all (rename is atomic on POSIX)

    def read(self) -> str | None:
        try:
            return self.path.read_text()
        except FileNotFoundError:
            return None

    def delete(self) -> None:
        self.path.unlink(missing_ok=True)


@dataclass
class S3Object:
    client: Any
    bucket: str
    key: str

    @property
    def where(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    def create(self, body: str) -> bool:
        try:
            # S3 conditional writes: 412 when the key exists.
            self.client.put_object(
                Bucket=self.bucket, Key=self.key, Body=body.encode(), IfNoneMatch="*"
            )
        except self.client.exceptions.ClientError as error:
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if status in {409, 412}:  # 409: a concurrent conditional write is in flight
                return False
            raise
        return True

    def put(self, body: str) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self.key, Body=body.encode())

    def read(self) -> str | None:
        try:
            body: bytes = self.client.get_object(Bucket=self.bucket, Key=self.key)["Body"].read()
        except self.client.exceptions.NoSuchKey:
            return None
        return body.decode()

    def delete(self) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.key)


def object_at(backend_url: str, s3_client: StateS3, name: str) -> StateObject | None:
    """The object `name` beside an environment's stacks; None where the backend holds none."""
    parts = urlsplit(backend_url)
    if parts.scheme == "file":
        return FileObject(Path(unquote(parts.path)) / name)
    if parts.scheme == "s3":
        options = {k: v[0] for k, v in parse_qs(parts.query).items()}
        key = f"{parts.path.strip('/')}/{name}".lstrip("/")
        return S3Object(s3_client(options), parts.netloc, key)
    return None
