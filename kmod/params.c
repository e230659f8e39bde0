// SPDX-License-Identifier: GPL-2.0
/*
 * Module parameters.  Each is set at insmod/modprobe time and can be changed
 * by root under /sys/module/ztdns/parameters/; a value that does not parse
 * is refused with EINVAL and the old value stays.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/moduleparam.h>
#include <linux/mm.h>
#include <linux/string.h>
#include <uapi/linux/ztdns.h>

#include "params.h"

struct ztdns_config ztdns_params = {
	.mode = ZTDNS_MODE_AUDIT,
};

u8 ztdns_netns_mode = ZTDNS_MODE_OFF;

static const char *const ztdns_mode_names[] = {
	[ZTDNS_MODE_OFF] = "off",
	[ZTDNS_MODE_AUDIT] = "audit",
	[ZTDNS_MODE_ENFORCE] = "enforce",
};

/**
 * ztdns_mode_parse() - parse a mode name
 * @s: "off", "audit" or "enforce", optionally followed by one newline
 *
 * Return: the enum ztdns_mode value, or -EINVAL.
 */
int ztdns_mode_parse(const char *s)
{
	int i;

	if (!s)
		return -EINVAL;
	i = sysfs_match_string(ztdns_mode_names, s);
	return i < 0 ? -EINVAL : i;
}

/**
 * ztdns_mode_name() - the name of a mode
 * @mode: an enum ztdns_mode value
 *
 * Return: its name, or "invalid" for a value out of range.
 */
const char *ztdns_mode_name(u8 mode)
{
	return mode <= ZTDNS_MODE_MAX ? ztdns_mode_names[mode] : "invalid";
}

static int ztdns_param_set_mode(const char *val, const struct kernel_param *kp)
{
	int mode = ztdns_mode_parse(val);

	if (mode < 0)
		return mode;
	WRITE_ONCE(*(u8 *)kp->arg, mode);
	return 0;
}

static int ztdns_param_get_mode(char *buf, const struct kernel_param *kp)
{
	return scnprintf(buf, PAGE_SIZE, "%s\n",
			 ztdns_mode_name(READ_ONCE(*(u8 *)kp->arg)));
}

static const struct kernel_param_ops ztdns_mode_ops = {
	.set = ztdns_param_set_mode,
	.get = ztdns_param_get_mode,
};

module_param_cb(mode, &ztdns_mode_ops, &ztdns_params.mode, 0644);
MODULE_PARM_DESC(mode, "initial namespace: off, audit or enforce (default audit)");
module_param_cb(netns_mode, &ztdns_mode_ops, &ztdns_netns_mode, 0644);
MODULE_PARM_DESC(netns_mode, "mode of namespaces created later (default off)");

#if IS_ENABLED(CONFIG_ZTDNS_KUNIT_TEST)
#include "tests/params_test.c"
#endif
