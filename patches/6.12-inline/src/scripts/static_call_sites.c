// SPDX-License-Identifier: GPL-2.0
/*
 * static_call_sites: record the call sites of static calls in an object.
 *
 * With HAVE_STATIC_CALL_INLINE the kernel patches every call site of a
 * static call, not only its trampoline, and finds the sites in the
 * .static_call_sites table (struct static_call_site in
 * include/linux/static_call_types.h). On x86 objtool writes that table. An
 * architecture without objtool can get it from the relocations instead,
 * as recordmcount gets the mcount call sites: on arm64 every call site of a
 * static call is a BL or B instruction with an R_AARCH64_CALL26 or
 * R_AARCH64_JUMP26 relocation against the trampoline __SCT__<name>.
 *
 * For each such relocation in an allocated, executable section, this
 * program adds one entry to .static_call_sites and two relocations to
 * .rela.static_call_sites:
 *
 *	addr:	R_AARCH64_PREL32 against the site
 *	key:	R_AARCH64_PREL32 against __SCK__<name>, addend
 *		STATIC_CALL_SITE_TAIL for a tail call (B, JUMP26)
 *
 * STATIC_CALL_SITE_INIT is not set here: the kernel sets it when it first
 * sees a site in an init section.
 *
 * A module may call a kernel static call whose key is not exported
 * (static_call_mod() with EXPORT_STATIC_CALL_TRAMP()); its object then has
 * no __SCK__<name> symbol. With -m the entry names the trampoline instead,
 * which static_call_add_module() translates to the key through
 * .static_call_tramp_key, exactly as for objtool's tables. Without -m a
 * missing key is an error.
 *
 * The program runs on vmlinux.o (which is native code with and without
 * LTO) and on each module's .ko, both relocatable objects. An object that
 * already has .static_call_sites is left alone.
 *
 * Usage: static_call_sites [-m] [-v] <object>
 */

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef R_AARCH64_PREL32
#define R_AARCH64_PREL32	261
#endif
#ifndef R_AARCH64_JUMP26
#define R_AARCH64_JUMP26	282
#endif
#ifndef R_AARCH64_CALL26
#define R_AARCH64_CALL26	283
#endif

#define TRAMP_PREFIX	"__SCT__"
#define KEY_PREFIX	"__SCK__"
#define SITE_TAIL	1	/* STATIC_CALL_SITE_TAIL */
#define SITE_SIZE	8	/* sizeof(struct static_call_site) */

struct site {
	size_t	sym;		/* symbol the site is relative to */
	int64_t	addend;		/* site - symbol */
	size_t	key;		/* key (or trampoline, -m) symbol */
	int	flags;
};

static const char *prog = "static_call_sites";
static const char *file;
static bool module;
static bool verbose;

static struct site *sites;
static size_t nr_sites, max_sites;

static void die(const char *msg, const char *what)
{
	fprintf(stderr, "%s: %s: %s%s%s\n", prog, file, msg,
		what ? ": " : "", what ? what : "");
	exit(1);
}

static void die_elf(const char *call)
{
	die(call, elf_errmsg(-1));
}

static void add_site(size_t sym, int64_t addend, size_t key, int flags)
{
	if (nr_sites == max_sites) {
		max_sites = max_sites ? 2 * max_sites : 256;
		sites = realloc(sites, max_sites * sizeof(*sites));
		if (!sites)
			die("out of memory", NULL);
	}
	sites[nr_sites++] = (struct site){ sym, addend, key, flags };
}

struct symtab {
	Elf_Scn		*scn;
	size_t		index;
	size_t		strndx;
	size_t		count;
	Elf_Data	*data;
	/* per section: a symbol in it (its STT_SECTION one if any) */
	size_t		*sec_sym;
	uint64_t	*sec_sym_value;
	/* per trampoline symbol: its key symbol, once looked up */
	size_t		*key_of;
};

static const char *sym_name(Elf *elf, struct symtab *st, GElf_Sym *sym)
{
	return elf_strptr(elf, st->strndx, sym->st_name) ?: "";
}

static void read_symtab(Elf *elf, struct symtab *st, size_t nr_sections)
{
	GElf_Shdr shdr;
	Elf_Scn *scn = NULL;
	size_t i;

	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &shdr))
			die_elf("gelf_getshdr");
		if (shdr.sh_type == SHT_SYMTAB)
			break;
	}
	if (!scn)
		die("no symbol table", NULL);

	st->scn = scn;
	st->index = elf_ndxscn(scn);
	st->strndx = shdr.sh_link;
	st->count = shdr.sh_size / shdr.sh_entsize;
	st->data = elf_getdata(scn, NULL);
	if (!st->data)
		die_elf("elf_getdata");

	st->sec_sym = calloc(nr_sections, sizeof(*st->sec_sym));
	st->sec_sym_value = calloc(nr_sections, sizeof(*st->sec_sym_value));
	st->key_of = calloc(st->count, sizeof(*st->key_of));
	if (!st->sec_sym || !st->sec_sym_value || !st->key_of)
		die("out of memory", NULL);

	for (i = 1; i < st->count; i++) {
		GElf_Sym sym;
		int type;

		if (!gelf_getsym(st->data, i, &sym))
			die_elf("gelf_getsym");
		if (sym.st_shndx == SHN_UNDEF || sym.st_shndx >= SHN_LORESERVE ||
		    sym.st_shndx >= nr_sections)
			continue;
		type = GELF_ST_TYPE(sym.st_info);
		/* prefer the section symbol, else the first one seen */
		if (type == STT_SECTION || !st->sec_sym[sym.st_shndx]) {
			st->sec_sym[sym.st_shndx] = i;
			st->sec_sym_value[sym.st_shndx] = sym.st_value;
		}
	}
}

static size_t find_sym(Elf *elf, struct symtab *st, const char *name)
{
	size_t i;

	for (i = 1; i < st->count; i++) {
		GElf_Sym sym;

		if (!gelf_getsym(st->data, i, &sym))
			die_elf("gelf_getsym");
		if (GELF_ST_TYPE(sym.st_info) != STT_SECTION &&
		    !strcmp(sym_name(elf, st, &sym), name))
			return i;
	}
	return 0;
}

static void scan_relocations(Elf *elf, struct symtab *st, size_t shstrndx)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr shdr, target;

	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Scn *tscn;
		Elf_Data *data;
		size_t i, n;

		if (!gelf_getshdr(scn, &shdr))
			die_elf("gelf_getshdr");
		if (shdr.sh_type != SHT_RELA || shdr.sh_link != st->index)
			continue;
		tscn = elf_getscn(elf, shdr.sh_info);
		if (!tscn || !gelf_getshdr(tscn, &target))
			die_elf("elf_getscn");
		if ((target.sh_flags & (SHF_ALLOC | SHF_EXECINSTR)) !=
		    (SHF_ALLOC | SHF_EXECINSTR))
			continue;

		data = elf_getdata(scn, NULL);
		if (!data)
			die_elf("elf_getdata");
		n = shdr.sh_size / shdr.sh_entsize;

		for (i = 0; i < n; i++) {
			char keyname[512];
			const char *name;
			GElf_Rela rela;
			GElf_Sym sym;
			size_t symi, key, base;
			int type;

			if (!gelf_getrela(data, i, &rela))
				die_elf("gelf_getrela");
			type = GELF_R_TYPE(rela.r_info);
			if (type != R_AARCH64_CALL26 && type != R_AARCH64_JUMP26)
				continue;
			symi = GELF_R_SYM(rela.r_info);
			if (!gelf_getsym(st->data, symi, &sym))
				die_elf("gelf_getsym");
			name = sym_name(elf, st, &sym);
			if (strncmp(name, TRAMP_PREFIX, strlen(TRAMP_PREFIX)))
				continue;
			if (rela.r_addend)
				die("branch to a trampoline with an addend", name);

			if (snprintf(keyname, sizeof(keyname), KEY_PREFIX "%s",
				     name + strlen(TRAMP_PREFIX)) >= (int)sizeof(keyname))
				die("name too long", name);
			key = st->key_of[symi];
			if (!key) {
				key = find_sym(elf, st, keyname);
				st->key_of[symi] = key;
			}
			if (!key) {
				if (!module)
					die("no key symbol for a static call site",
					    keyname);
				key = symi;
			}

			base = st->sec_sym[shdr.sh_info];
			if (!base)
				die("no symbol in the section of a site",
				    elf_strptr(elf, shstrndx, target.sh_name));

			add_site(base, (int64_t)rela.r_offset -
				 (int64_t)st->sec_sym_value[shdr.sh_info], key,
				 type == R_AARCH64_JUMP26 ? SITE_TAIL : 0);
		}
	}
}

/* Append @name to the section header string table; return its offset. */
static size_t add_name(Elf *elf, size_t shstrndx, const char *name)
{
	Elf_Scn *scn = elf_getscn(elf, shstrndx);
	GElf_Shdr shdr;
	Elf_Data *data;
	size_t len = strlen(name) + 1;
	char *buf;

	if (!scn || !gelf_getshdr(scn, &shdr))
		die_elf("elf_getscn");
	buf = malloc(len);
	data = elf_newdata(scn);
	if (!buf || !data)
		die("out of memory", NULL);
	memcpy(buf, name, len);
	data->d_buf = buf;
	data->d_size = len;
	data->d_type = ELF_T_BYTE;
	data->d_align = 1;

	/* the string starts where the section ended */
	shdr.sh_size += len;
	if (!gelf_update_shdr(scn, &shdr))
		die_elf("gelf_update_shdr");
	return shdr.sh_size - len;
}

static Elf_Scn *new_section(Elf *elf, size_t shstrndx, const char *name,
			    GElf_Shdr *shdr, void *buf, size_t size,
			    Elf_Type type, size_t align)
{
	Elf_Scn *scn = elf_newscn(elf);
	Elf_Data *data;

	if (!scn)
		die_elf("elf_newscn");
	data = elf_newdata(scn);
	if (!data)
		die_elf("elf_newdata");
	data->d_buf = buf;
	data->d_size = size;
	data->d_type = type;
	data->d_align = align;

	shdr->sh_name = add_name(elf, shstrndx, name);
	shdr->sh_size = size;
	shdr->sh_addralign = align;
	if (!gelf_update_shdr(scn, shdr))
		die_elf("gelf_update_shdr");
	return scn;
}

static void write_table(Elf *elf, struct symtab *st, size_t shstrndx)
{
	GElf_Shdr shdr = { 0 };
	Elf64_Rela *rela;
	Elf_Scn *table;
	Elf_Data *rdata;
	Elf_Scn *rscn;
	void *zeroes;
	size_t i;

	zeroes = calloc(nr_sites, SITE_SIZE);
	rela = calloc(2 * nr_sites, sizeof(*rela));
	if (!zeroes || !rela)
		die("out of memory", NULL);

	shdr.sh_type = SHT_PROGBITS;
	/* written at boot and module load (init flag, key fixups, sorting) */
	shdr.sh_flags = SHF_ALLOC | SHF_WRITE;
	shdr.sh_entsize = SITE_SIZE;
	table = new_section(elf, shstrndx, ".static_call_sites", &shdr, zeroes,
			    nr_sites * SITE_SIZE, ELF_T_BYTE, 4);

	memset(&shdr, 0, sizeof(shdr));
	shdr.sh_type = SHT_RELA;
	shdr.sh_flags = SHF_INFO_LINK;
	shdr.sh_link = st->index;
	shdr.sh_info = elf_ndxscn(table);
	shdr.sh_entsize = sizeof(Elf64_Rela);
	rscn = new_section(elf, shstrndx, ".rela.static_call_sites", &shdr,
			   rela, 2 * nr_sites * sizeof(*rela), ELF_T_RELA, 8);

	rdata = elf_getdata(rscn, NULL);
	if (!rdata)
		die_elf("elf_getdata");
	for (i = 0; i < nr_sites; i++) {
		GElf_Rela r;

		r.r_offset = i * SITE_SIZE;
		r.r_info = GELF_R_INFO(sites[i].sym, R_AARCH64_PREL32);
		r.r_addend = sites[i].addend;
		if (!gelf_update_rela(rdata, 2 * i, &r))
			die_elf("gelf_update_rela");
		r.r_offset = i * SITE_SIZE + 4;
		r.r_info = GELF_R_INFO(sites[i].key, R_AARCH64_PREL32);
		r.r_addend = sites[i].flags;
		if (!gelf_update_rela(rdata, 2 * i + 1, &r))
			die_elf("gelf_update_rela");
	}
}

static bool has_section(Elf *elf, size_t shstrndx, const char *name)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr shdr;

	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &shdr))
			die_elf("gelf_getshdr");
		if (!strcmp(elf_strptr(elf, shstrndx, shdr.sh_name) ?: "", name))
			return true;
	}
	return false;
}

int main(int argc, char **argv)
{
	struct symtab st = { 0 };
	size_t shstrndx, nr_sections;
	GElf_Ehdr ehdr;
	Elf *elf;
	int opt, fd;

	while ((opt = getopt(argc, argv, "mv")) != -1) {
		switch (opt) {
		case 'm':
			module = true;
			break;
		case 'v':
			verbose = true;
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc - 1)
		goto usage;
	file = argv[optind];

	if (elf_version(EV_CURRENT) == EV_NONE)
		die_elf("elf_version");
	fd = open(file, O_RDWR);
	if (fd < 0)
		die("cannot open", strerror(errno));
	elf = elf_begin(fd, ELF_C_RDWR, NULL);
	if (!elf)
		die_elf("elf_begin");
	if (!gelf_getehdr(elf, &ehdr))
		die_elf("gelf_getehdr");
	if (ehdr.e_ident[EI_CLASS] != ELFCLASS64 || ehdr.e_machine != EM_AARCH64 ||
	    ehdr.e_type != ET_REL)
		die("not a 64-bit AArch64 relocatable object", NULL);
	if (elf_getshdrstrndx(elf, &shstrndx) || elf_getshdrnum(elf, &nr_sections))
		die_elf("elf_getshdrstrndx");

	if (has_section(elf, shstrndx, ".static_call_sites")) {
		if (verbose)
			printf("%s: already has .static_call_sites\n", file);
		goto out;
	}

	read_symtab(elf, &st, nr_sections);
	scan_relocations(elf, &st, shstrndx);
	if (verbose)
		printf("%s: %zu static call sites\n", file, nr_sites);
	if (!nr_sites)
		goto out;

	write_table(elf, &st, shstrndx);
	if (elf_update(elf, ELF_C_WRITE) < 0)
		die_elf("elf_update");
out:
	elf_end(elf);
	close(fd);
	return 0;

usage:
	fprintf(stderr, "usage: %s [-m] [-v] <object>\n", prog);
	return 2;
}
