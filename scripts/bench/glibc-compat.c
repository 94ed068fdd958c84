// SPDX-License-Identifier: MIT
/*
 * sid's libbpf.a is built against glibc >= 2.38, whose headers map scanf/strtoull to the
 * C23 variants (__isoc23_*); those differ only in accepting "0b" binary prefixes, which
 * libbpf never parses. This host's glibc (bookworm 2.36) lacks them, so the static bench
 * harness provides them over the classic functions. Linked only into the libbpf 1.7 build.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

int __isoc23_sscanf(const char *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsscanf(s, fmt, ap);
	va_end(ap);
	return n;
}

int __isoc23_fscanf(FILE *f, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vfscanf(f, fmt, ap);
	va_end(ap);
	return n;
}

unsigned long long __isoc23_strtoull(const char *s, char **end, int base)
{
	return strtoull(s, end, base);
}
