/* SPDX-License-Identifier: GPL-2.0 */
/*
 * central.h - egate-central's pieces: the schema's migrations and the
 * templates of a traveller from photos.
 */
#ifndef EGATE_CENTRAL_H
#define EGATE_CENTRAL_H

#include <stddef.h>
#include <libpq-fe.h>

/*
 * Applies the migrations of dir (NNN_name.sql, in order) that the database
 * has not had, each in its own transaction with its row in
 * egate_migrations: the number applied, or -errno with err set.
 */
int central_migrate(PGconn *pg, const char *dir, char *err, size_t err_size);

/*
 * One face template per photo (each must show one face), as the bytea
 * array literal egate.enrol_traveller() takes; free() it.
 */
int central_templates(const char *models, char *const *photos, int n, char **ret,
		      char *err, size_t err_size);

#endif
