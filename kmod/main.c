// SPDX-License-Identifier: GPL-2.0
/*
 * ztdns: Zero Trust DNS for Linux.  Outbound packets may only go where the
 * protective DNS resolver said they may.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/module.h>
#include <net/genetlink.h>
#include <uapi/linux/ztdns.h>

#include "netlink.h"
#include "netns.h"
#include "params.h"

static int __init ztdns_mod_init(void)
{
	int ret;

	ret = ztdns_netns_init();
	if (ret)
		goto err_netns;
	ret = ztdns_genl_init();
	if (ret)
		goto err_genl;

	pr_info("loaded, version %s, mode %s\n", ZTDNS_VERSION,
		ztdns_mode_name(READ_ONCE(ztdns_params.mode)));
	return 0;

err_genl:
	ztdns_netns_uninit();
err_netns:
	return ret;
}

static void __exit ztdns_mod_exit(void)
{
	ztdns_genl_uninit();
	ztdns_netns_uninit();
	pr_info("unloaded\n");
}

module_init(ztdns_mod_init);
module_exit(ztdns_mod_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Zero Trust DNS: outbound traffic only to resolved addresses");
MODULE_AUTHOR("The ztdns authors");
MODULE_VERSION(ZTDNS_VERSION);
MODULE_ALIAS_GENL_FAMILY(ZTDNS_GENL_NAME);
