// SPDX-License-Identifier: GPL-2.0
/*
 * keys.c - the Ed25519 keys of references: the list the agent trusts, and
 * a document reader's key pair (the secret key file holds the 32-byte
 * seed in hex, one line, readable by its owner only).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sodium.h>
#include <sys/stat.h>

#include "egate-reference.h"
#include "macro.h"
#include "reference-internal.h"

#define SEED_HEX (2 * crypto_sign_SEEDBYTES)

_Static_assert(crypto_sign_PUBLICKEYBYTES == EGATE_REFERENCE_KEY_SIZE, "public key size");
_Static_assert(crypto_sign_SECRETKEYBYTES == EGATE_REFERENCE_SECRET_SIZE, "secret key size");

int reference_sodium_init(void)
{
	return sodium_init() < 0 ? -EIO : 0;
}

int reference_file_private(const struct stat *st, mode_t forbidden, char *err, size_t err_size)
{
	if (st->st_uid != 0 && st->st_uid != geteuid()) {
		snprintf(err, err_size, "owned by uid %u: only root or uid %u may write it",
			 (unsigned int)st->st_uid, (unsigned int)geteuid());
		return -EPERM;
	}
	if (st->st_mode & forbidden) {
		snprintf(err, err_size, "mode %04o: %s", (unsigned int)(st->st_mode & 07777),
			 st->st_mode & forbidden & 0022 ? "others may write it" :
			 "others may read it");
		return -EPERM;
	}
	return 0;
}

int egate_reference_keys_parse(const char *text, struct egate_reference_keys *ret,
			       char *err, size_t err_size)
{
	static const char separators[] = " \t,";
	struct egate_reference_keys keys = { 0 };
	const char *p = text + strspn(text, separators);

	if (!strcmp(p, "none")) {
		*ret = keys;
		return 0;
	}
	while (*p) {
		size_t len = strcspn(p, separators), used = 0;

		if (keys.n == EGATE_REFERENCE_KEYS_MAX) {
			snprintf(err, err_size, "more than %d keys", EGATE_REFERENCE_KEYS_MAX);
			return -EINVAL;
		}
		if (len != EGATE_REFERENCE_KEY_HEX ||
		    sodium_hex2bin(keys.key[keys.n], EGATE_REFERENCE_KEY_SIZE, p, len, NULL,
				   &used, NULL) < 0 || used != EGATE_REFERENCE_KEY_SIZE) {
			snprintf(err, err_size, "key %zu ('%.*s'): not %d hex digits", keys.n + 1,
				 (int)(len > 16 ? 16 : len), p, EGATE_REFERENCE_KEY_HEX);
			return -EINVAL;
		}
		keys.n++;
		p += len;
		p += strspn(p, separators);
	}
	if (!keys.n) {
		snprintf(err, err_size, "no key (\"none\" for none)");
		return -EINVAL;
	}
	*ret = keys;
	return 0;
}

int egate_reference_keygen(const char *secret_path,
			   char public_hex[EGATE_REFERENCE_KEY_HEX + 1],
			   char *err, size_t err_size)
{
	uint8_t seed[crypto_sign_SEEDBYTES], pk[crypto_sign_PUBLICKEYBYTES];
	uint8_t sk[crypto_sign_SECRETKEYBYTES];
	char line[SEED_HEX + 2];
	_cleanup_close_ int fd = -1;
	int r;

	r = reference_sodium_init();
	if (r < 0)
		return r;
	fd = open(secret_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || fchmod(fd, 0600) < 0) {
		r = -errno;
		snprintf(err, err_size, "%s: %s", secret_path, strerror(-r));
		if (fd >= 0)
			unlink(secret_path);
		return r;
	}
	randombytes_buf(seed, sizeof(seed));
	crypto_sign_seed_keypair(pk, sk, seed);
	sodium_bin2hex(line, sizeof(line), seed, sizeof(seed));
	strcat(line, "\n");
	r = write(fd, line, strlen(line)) == (ssize_t)strlen(line) && fsync(fd) == 0 ? 0 : -EIO;
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(line, sizeof(line));
	if (r < 0) {
		snprintf(err, err_size, "%s: cannot write it", secret_path);
		unlink(secret_path);
		return r;
	}
	sodium_bin2hex(public_hex, EGATE_REFERENCE_KEY_HEX + 1, pk, sizeof(pk));
	return 0;
}

int egate_reference_secret_load(const char *secret_path,
				uint8_t secret[EGATE_REFERENCE_SECRET_SIZE],
				char *err, size_t err_size)
{
	uint8_t seed[crypto_sign_SEEDBYTES], pk[crypto_sign_PUBLICKEYBYTES];
	char line[SEED_HEX + 2] = "";
	_cleanup_close_ int fd = -1;
	size_t used = 0;
	struct stat st;
	ssize_t n;
	int r;

	r = reference_sodium_init();
	if (r < 0)
		return r;
	fd = open(secret_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) < 0) {
		r = -errno;
		snprintf(err, err_size, "%s: %s", secret_path, strerror(-r));
		return r;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, err_size, "%s: not a regular file", secret_path);
		return -EINVAL;
	}
	r = reference_file_private(&st, 0077, err, err_size);
	if (r < 0)
		return r;
	n = read(fd, line, sizeof(line) - 1);
	if (n < SEED_HEX || (n > SEED_HEX && line[SEED_HEX] != '\n') || n > SEED_HEX + 1 ||
	    sodium_hex2bin(seed, sizeof(seed), line, SEED_HEX, NULL, &used, NULL) < 0 ||
	    used != sizeof(seed)) {
		sodium_memzero(line, sizeof(line));
		snprintf(err, err_size, "%s: not a secret key of egate-gallery keygen", secret_path);
		return -EBADMSG;
	}
	crypto_sign_seed_keypair(pk, secret, seed);
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(line, sizeof(line));
	return 0;
}
