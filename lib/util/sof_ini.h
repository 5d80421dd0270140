/* sof_ini.h: a strict INI reader (sofd's --config files).
 *
 * What a file may hold, line by line ('\n' ends a line; a '\r' right before
 * it is dropped, so CRLF files read the same; a UTF-8 byte order mark at the
 * very start is skipped):
 *   - blank lines (spaces and tabs only);
 *   - comments: a line whose first non-blank character is '#' or ';';
 *   - a section header "[name]": name is letters, digits, '_', '.' and '-'
 *     (blanks inside the brackets are trimmed);
 *   - "key = value": key as a section name, value trimmed, not empty.
 *     A ';' or '#' after a blank starts a comment (key = 5 ; why), so a
 *     value never ends in one; a ';' or '#' inside a word is kept.
 * Anything else is an error naming the line: a line without '=', a
 * malformed header, a key before the first section, an empty value. So are
 * a control character (bytes 0x00-0x1f and 0x7f but tab, e.g. the NULs of a
 * binary file), a key given twice in one section, a section header given
 * twice (one place per section), and a file over SOF_INI_FILE_MAX bytes.
 * Duplicate errors name both lines. Which sections and keys exist is the
 * caller's business (sof_ini does not know them).
 *
 * Memory: sof_ini_parse copies the text once; the entries point into that
 * copy and live until sof_ini_delete. Pure C (no DPDK); no global state, so
 * distinct sof_ini_t may be used on distinct threads. Setup only. */
#ifndef SOF_UTIL_INI_H
#define SOF_UTIL_INI_H

#include <stddef.h>

#define SOF_INI_FILE_MAX (1U << 20) /* bytes: larger is not a config file */

typedef struct sof_ini_entry {
  char const *section; /* the header's name */
  char const *key;
  char const *value;   /* trimmed, comment removed, at least one character */
  unsigned    line;    /* 1-based line number */
} sof_ini_entry_t;

typedef struct sof_ini_section {
  char const *name;
  unsigned    line;    /* of its header */
} sof_ini_section_t;

typedef struct sof_ini sof_ini_t;

/* sof_ini_parse reads buf (sz bytes, need not be NUL-terminated; NULs in it
 * are an error, not an end). Returns the parsed file, or NULL with why in
 * err (err_sz bytes; no "line N" prefix) and the 1-based line it is about in
 * *err_line (0 when about no line: too large, out of memory). For a
 * duplicate, *err_line is the second occurrence and the message names the
 * first ("duplicate key 'burst' in [input] (first on line 2)"). When a file
 * has several problems, a line error (the first in the file) wins over
 * duplicates, and among duplicates the earliest second occurrence. */
sof_ini_t *sof_ini_parse(char const *buf, size_t sz, unsigned *err_line, char *err, size_t err_sz);

/* sof_ini_load does the same with the file at path; a file that cannot be
 * read gives "cannot read it: <strerror>" with *err_line 0. */
sof_ini_t *sof_ini_load(char const *path, unsigned *err_line, char *err, size_t err_sz);

/* The entries in file order (i < sof_ini_entry_cnt), and the section headers
 * in file order (sections with no key included). The pointers are valid
 * until sof_ini_delete. */
unsigned sof_ini_entry_cnt(sof_ini_t const *ini);
sof_ini_entry_t const *sof_ini_entry(sof_ini_t const *ini, unsigned i);
unsigned sof_ini_section_cnt(sof_ini_t const *ini);
sof_ini_section_t const *sof_ini_section(sof_ini_t const *ini, unsigned i);

/* sof_ini_delete frees ini and every string it handed out (NULL is fine). */
void sof_ini_delete(sof_ini_t *ini);

#endif /* SOF_UTIL_INI_H */
