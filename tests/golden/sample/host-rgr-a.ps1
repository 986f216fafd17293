# portmatrix 0.1.0: windows rules for host rgr-a (10.0.0.1/32)
# deployment: sample
# load: powershell -ExecutionPolicy Bypass -File FILE (as Administrator)
# flows in: 9; every rule names its catalog ids and document rows
# Other allow rules: KEPT. Windows' own rules and other software's still admit what they
# admit, so the host admits the matrix and more; render with --exact to disable them.
#Requires -RunAsAdministrator
$ErrorActionPreference = 'Stop'
$group = 'portmatrix'
# Idempotent: remove every rule an earlier run created, then create them again.
Get-NetFirewallRule -Group $group -ErrorAction SilentlyContinue | Remove-NetFirewallRule
# Default drop on input; established connections are admitted by the stateful firewall.
Set-NetFirewallProfile -Profile Domain,Private,Public -Enabled True -DefaultInboundAction Block
Set-NetFirewallProfile -Profile Domain,Private,Public -DefaultOutboundAction Block
New-NetFirewallRule -Group $group -DisplayName 'portmatrix ping (host_firewall.icmp_echo) Inbound ICMPv4 8' -Direction Inbound -Action Allow -Protocol ICMPv4 -IcmpType 8 | Out-Null
New-NetFirewallRule -Group $group -DisplayName 'portmatrix ping (host_firewall.icmp_echo) Inbound ICMPv6 128' -Direction Inbound -Action Allow -Protocol ICMPv6 -IcmpType 128 | Out-Null
# local-only: any -> rgr-a
# cce.mds-local (004_22b27dfc6c049eaa.txt table 1 row 12)
New-NetFirewallRule -Group $group -DisplayName 'portmatrix local-only tcp 1: cce.mds-local' -Direction Inbound -Action Block -Protocol TCP -LocalPort '40000-40001' -Description 'cce.mds-local (004_22b27dfc6c049eaa.txt table 1 row 12)' | Out-Null
# rgr-b -> rgr-a
# cce.router.dmp (004_22b27dfc6c049eaa.txt table 1 row 8)
# cce.router.mds (004_22b27dfc6c049eaa.txt table 1 row 7)
New-NetFirewallRule -Group $group -DisplayName 'portmatrix in tcp 1: cce.router.dmp, cce.router.mds' -Direction Inbound -Action Allow -Protocol TCP -LocalPort '40007-40008' -RemoteAddress '10.0.0.2/32' -Description 'cce.router.dmp (004_22b27dfc6c049eaa.txt table 1 row 8); cce.router.mds (004_22b27dfc6c049eaa.txt table 1 row 7)' | Out-Null
# pg-a -> rgr-a
# cce.router.pg (004_22b27dfc6c049eaa.txt table 1 row 9)
New-NetFirewallRule -Group $group -DisplayName 'portmatrix in tcp 2: cce.router.pg' -Direction Inbound -Action Allow -Protocol TCP -LocalPort '40017-40020' -RemoteAddress '10.0.1.1/32' -Description 'cce.router.pg (004_22b27dfc6c049eaa.txt table 1 row 9)' | Out-Null
# aw -> rgr-a
# cce.web (004_22b27dfc6c049eaa.txt table 1 row 11)
New-NetFirewallRule -Group $group -DisplayName 'portmatrix in tcp 3: cce.web' -Direction Inbound -Action Allow -Protocol TCP -LocalPort '443' -RemoteAddress '10.20.0.7/32' -Description 'cce.web (004_22b27dfc6c049eaa.txt table 1 row 11)' | Out-Null
# aw, phones -> rgr-a
# cce.sip (004_22b27dfc6c049eaa.txt table 1 row 10)
New-NetFirewallRule -Group $group -DisplayName 'portmatrix in udp 4: cce.sip' -Direction Inbound -Action Allow -Protocol UDP -LocalPort '5060' -RemoteAddress '10.20.0.0/24' -Description 'cce.sip (004_22b27dfc6c049eaa.txt table 1 row 10)' | Out-Null
# rgr-a -> pg-a
# cce.pg.mds (004_22b27dfc6c049eaa.txt table 1 row 13)
New-NetFirewallRule -Group $group -DisplayName 'portmatrix out tcp 1: cce.pg.mds' -Direction Outbound -Action Allow -Protocol TCP -RemotePort '43004' -RemoteAddress '10.0.1.1/32' -Description 'cce.pg.mds (004_22b27dfc6c049eaa.txt table 1 row 13)' | Out-Null
# rgr-a -> aw
# cce.aw.sql (004_22b27dfc6c049eaa.txt table 1 row 14)
New-NetFirewallRule -Group $group -DisplayName 'portmatrix out tcp 2: cce.aw.sql' -Direction Outbound -Action Allow -Protocol TCP -RemotePort '1433' -RemoteAddress '10.20.0.7/32' -Description 'cce.aw.sql (004_22b27dfc6c049eaa.txt table 1 row 14)' | Out-Null
