/*
 * CSystem: the few operating-system calls Swift cannot import as they are (variadic functions,
 * macros), each as a tiny `static inline` function. Linux only; elsewhere they report failure.
 */
#ifndef CSYSTEM_SHIM_H
#define CSYSTEM_SHIM_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <signal.h>
#include <errno.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

/* Asks the kernel to send `sig` to this process when its parent thread exits; -1 elsewhere. */
static inline int csystem_set_parent_death_signal(int sig) {
#ifdef __linux__
    return prctl(PR_SET_PDEATHSIG, (unsigned long)sig, 0UL, 0UL, 0UL);
#else
    (void)sig;
    errno = ENOSYS;
    return -1;
#endif
}

/* An unnamed regular file in `directory`, open for writing (O_TMPFILE); -1 where unsupported. */
static inline int csystem_open_unnamed(const char *directory, int mode) {
#if defined(__linux__) && defined(O_TMPFILE)
    return open(directory, O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
#else
    (void)directory; (void)mode;
    errno = EOPNOTSUPP;
    return -1;
#endif
}

/* zlib's CRC-32 (the ZIP checksum), continuing from `crc` (0 to start). zlib computes it several
 * bytes at a time; ZIPFoundation's built-in fallback, used when it cannot import zlib (as on
 * Linux here), goes a byte at a time: 16 ms of the 90 ms it takes to open a 6 MB model.
 * zlib's own declaration (uLong crc32(uLong, const Bytef *, uInt)) is written out rather than
 * taken from <zlib.h>: this header defines _GNU_SOURCE, under which zlib.h's structs differ from
 * the zlib.h that CHDF5's headers include, and a module graph holding both is refused (DocC's
 * symbol extraction loads them together). */
extern unsigned long crc32(unsigned long crc, const unsigned char *buf, unsigned int len);
static inline unsigned long csystem_crc32(unsigned long crc, const void *bytes, unsigned int count) {
    return crc32(crc, (const unsigned char *)bytes, count);
}

#endif /* CSYSTEM_SHIM_H */
