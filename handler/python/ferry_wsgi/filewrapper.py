"""`wsgi.file_wrapper`: serve a file-like object as the response body in large blocks."""

#: Read at least this much per block: every block is one message to the frontend.
MIN_BLOCK = 256 * 1024


class FileWrapper:
    """Iterates `filelike` in blocks; `close()` closes it (PEP 3333, optional platform-specific
    file handling)."""

    def __init__(self, filelike, blksize=8192):
        self.filelike = filelike
        self.blksize = max(int(blksize), MIN_BLOCK)
        if hasattr(filelike, "close"):
            self.close = filelike.close

    def __iter__(self):
        read = self.filelike.read
        size = self.blksize
        while True:
            block = read(size)
            if not block:
                return
            yield block
