/* Whole reads and writes on a file descriptor, retrying on EINTR and short counts. */
#ifndef CTW_FILEIO_H
#define CTW_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

/* Up to len bytes until EOF: the count read, or -errno. */
ssize_t ctw_read_all(int fd, char *buf, size_t len);
/* All of buf: 0 or -errno. */
int ctw_write_all(int fd, const void *buf, size_t len);
/* mkdir -p: the missing parents too (each with mode). 0 or -errno. */
int ctw_mkdir_p(const char *path, mode_t mode);

#endif
