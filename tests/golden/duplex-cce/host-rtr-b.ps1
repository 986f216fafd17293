# portmatrix 0.1.0: windows rules for host rtr-b (10.10.2.11/32)
# deployment: duplex-cce
# load: powershell -ExecutionPolicy Bypass -File FILE (as Administrator)
# flows in: 141; every rule names its catalog ids and document rows
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
# local-only: any -> rtr-b
# cce.router.mds-process-b (004_22b27dfc6c049eaa.txt table 1 row 2)
# cce.router.mds-state-b (004_22b27dfc6c049eaa.txt table 1 row 3)
New-NetFirewallRule -Group $group -DisplayName 'portmatrix local-only tcp 1: cce.router.mds-process-b, cce.router.mds-state-b' -Direction Inbound -Action Block -Protocol TCP -LocalPort '41000-41001' -Description 'cce.router.mds-process-b (004_22b27dfc6c049eaa.txt table 1 row 2); cce.router.mds-state-b (004_22b27dfc6c049eaa.txt table 1 row 3)' | Out-Null
# dc-1, lgr-a, lgr-b, rtr-a -> rtr-b
# cce.winauth.netbios-name (004_22b27dfc6c049eaa.txt table 7 row 3)
# cce.winauth.netbios-session (004_22b27dfc6c049eaa.txt table 7 row 2)
# cce.winauth.rpc (004_22b27dfc6c049eaa.txt table 7 row 1)
# cce.winauth.smb (004_22b27dfc6c049eaa.txt table 7 row 5)
New-NetFirewallRule -Group $group -DisplayName 'portmatrix in tcp 1: cce.winauth.netbios-name, cce.winauth.netbios-session, cce.winauth.rpc, cce.winauth.smb' -Direction Inbound -Action Allow -Protocol TCP -LocalPort '135','137','139','445' -RemoteAddress '10.10.1.11/32','10.10.1.12/32','10.10.2.12/32','10.10.3.61/32' -LocalAddress '10.10.2.11/32' -Description 'cce.winauth.netbios-name (004_22b27dfc6c049eaa.txt table 7 row 3); cce.winauth.netbios-session (004_22b27dfc6c049eaa.txt table 7 row 2); cce.winauth.rpc (004_22b27dfc6c049eaa.txt table 7 row 1); cce.winauth.smb (004_22b27dfc6c049eaa.txt table 7 row 5)' | Out-Null
# pg-a, pg-b -> rtr-b
# cce.router.dmp-b (004_22b27dfc6c049eaa.txt table 1 row 25)
# cce.winauth.netbios-name (004_22b27dfc6c049eaa.txt table 7 row 3)
# cce.winauth.netbios-session (004_22b27dfc6c049eaa.txt table 7 row 2)
# cce.winauth.rpc (004_22b27dfc6c049eaa.txt table 7 row 1)
# cce.winauth.smb (004_22b27dfc6c049eaa.txt table 7 row 5)
New-NetFirewallRule -Group $group -DisplayName 'portmatrix in tcp 2: cce.router.dmp-b, cce.winauth.netbios-name, cce.winauth.netbios-session, cce.winauth.rpc, cce.winauth.smb' -Direction Inbound -Action Allow -Protocol TCP -LocalPort '135','137','139','445','41042-41043','41057' -RemoteAddress '10.10.1.21/32','10.10.2.21/32' -LocalAddress '10.10.2.11/32' -Description 'cce.router.dmp-b (004_22b27dfc6c049eaa.txt table 1 row 25); cce.winauth.netbios-name (004_22b27dfc6c049eaa.txt table 7 row 3); cce.winauth.netbios-session (004_22b27dfc6c049eaa.txt table 7 row 2); cce.winauth.rpc (004_22b27dfc6c049eaa.txt table 7 row 1); cce.winauth.smb (004_22b27dfc6c049eaa.txt table 7 row 5)' | Out-Null
# aw-1 -> rtr-b
# cce.router.rtfeed-b (004_22b27dfc6c049eaa.txt table 1 row 27)
# cce.winauth.netbios-name (004_22b27dfc6c049eaa.txt table 7 row 3)
# cce.winauth.netbios-session (004_22b27dfc6c049eaa.txt table 7 row 2)
# cce.winauth.rpc (004_22b27dfc6c049eaa.txt table 7 row 1)
# cce.winauth.smb (004_22b27dfc6c049eaa.txt table 7 row 5)
New-NetFirewallRule -Group $group -DisplayName 'portmatrix in tcp 3: cce.router.rtfeed-b, cce.winauth.netbios-name, cce.winauth.netbios-session, cce.winauth.rpc, cce.winauth.smb' -Direction Inbound -Action Allow -Protocol TCP -LocalPort '135','137','139','445','41047' -RemoteAddress '10.10.3.31/32' -LocalAddress '10.10.2.11/32' -Description 'cce.router.rtfeed-b (004_22b27dfc6c049eaa.txt table 1 row 27); cce.winauth.netbios-name (004_22b27dfc6c049eaa.txt table 7 row 3); cce.winauth.netbios-session (004_22b27dfc6c049eaa.txt table 7 row 2); cce.winauth.rpc (004_22b27dfc6c049eaa.txt table 7 row 1); cce.winauth.smb (004_22b27dfc6c049eaa.txt table 7 row 5)' | Out-Null
# ld-1 -> rtr-b
# cce.livedata.router-tip-events (004_22b27dfc6c049eaa.txt table 10 row 1)
# cce.livedata.router-tip-tos (004_22b27dfc6c049eaa.txt table 10 row 2)
New-NetFirewallRule -Group $group -DisplayName 'portmatrix in tcp 4: cce.livedata.router-tip-events, cce.livedata.router-tip-tos' -Direction Inbound -Action Allow -Protocol TCP -LocalPort '41074-41075' -RemoteAddress '10.10.3.42/32' -LocalAddress '10.10.2.11/32' -Description 'cce.livedata.router-tip-events (004_22b27dfc6c049eaa.txt table 10 row 1); cce.livedata.router-tip-tos (004_22b27dfc6c049eaa.txt table 10 row 2)' | Out-Null
# admin-net -> rtr-b
# cce.diagnostic-framework (004_22b27dfc6c049eaa.txt table 1 row 38)
# cce.mgmt.rdp (004_22b27dfc6c049eaa.txt table 8 row 4)
# cce.winauth.netbios-name (004_22b27dfc6c049eaa.txt table 7 row 3)
# cce.winauth.netbios-session (004_22b27dfc6c049eaa.txt table 7 row 2)
# cce.winauth.rpc (004_22b27dfc6c049eaa.txt table 7 row 1)
# cce.winauth.smb (004_22b27dfc6c049eaa.txt table 7 row 5)
New-NetFirewallRule -Group $group -DisplayName 'portmatrix in tcp 5: cce.diagnostic-framework, cce.mgmt.rdp, cce.winauth.netbios-name, cce.winauth.netbios-session, cce.winauth.rpc, cce.winauth.smb' -Direction Inbound -Action Allow -Protocol TCP -LocalPort '135','137','139','445','3389','7890' -RemoteAddress '10.40.0.0/24' -LocalAddress '10.10.2.11/32' -Description 'cce.diagnostic-framework (004_22b27dfc6c049eaa.txt table 1 row 38); cce.mgmt.rdp (004_22b27dfc6c049eaa.txt table 8 row 4); cce.winauth.netbios-name (004_22b27dfc6c049eaa.txt table 7 row 3); cce.winauth.netbios-session (004_22b27dfc6c049eaa.txt table 7 row 2); cce.winauth.rpc (004_22b27dfc6c049eaa.txt table 7 row 1); cce.winauth.smb (004_22b27dfc6c049eaa.txt table 7 row 5)' | Out-Null
# rtr-a -> rtr-b
# cce.router.mds-private (004_22b27dfc6c049eaa.txt table 1 row 1)
New-NetFirewallRule -Group $group -DisplayName 'portmatrix in tcp 6: cce.router.mds-private' -Direction Inbound -Action Allow -Protocol TCP -LocalPort '41044-41045','41056','41060-41062','41072-41073' -RemoteAddress '192.168.10.11/32' -LocalAddress '192.168.20.11/32' -Description 'cce.router.mds-private (004_22b27dfc6c049eaa.txt table 1 row 1)' | Out-Null
# admin-net, aw-1, dc-1, lgr-a, lgr-b, rtr-a -> rtr-b
# cce.winauth.netbios-datagram (004_22b27dfc6c049eaa.txt table 7 row 4)
# cce.winauth.netbios-name (004_22b27dfc6c049eaa.txt table 7 row 3)
# cce.winauth.rpc (004_22b27dfc6c049eaa.txt table 7 row 1)
# cce.winauth.smb (004_22b27dfc6c049eaa.txt table 7 row 5)
New-NetFirewallRule -Group $group -DisplayName 'portmatrix in udp 7: cce.winauth.netbios-datagram, cce.winauth.netbios-name, cce.winauth.rpc, cce.winauth.smb' -Direction Inbound -Action Allow -Protocol UDP -LocalPort '135','137-138','445' -RemoteAddress '10.10.1.11/32','10.10.1.12/32','10.10.2.12/32','10.10.3.31/32','10.10.3.61/32','10.40.0.0/24' -LocalAddress '10.10.2.11/32' -Description 'cce.winauth.netbios-datagram (004_22b27dfc6c049eaa.txt table 7 row 4); cce.winauth.netbios-name (004_22b27dfc6c049eaa.txt table 7 row 3); cce.winauth.rpc (004_22b27dfc6c049eaa.txt table 7 row 1); cce.winauth.smb (004_22b27dfc6c049eaa.txt table 7 row 5)' | Out-Null
# pg-a, pg-b -> rtr-b
# cce.router.dmp-b (004_22b27dfc6c049eaa.txt table 1 row 25)
# cce.winauth.netbios-datagram (004_22b27dfc6c049eaa.txt table 7 row 4)
# cce.winauth.netbios-name (004_22b27dfc6c049eaa.txt table 7 row 3)
# cce.winauth.rpc (004_22b27dfc6c049eaa.txt table 7 row 1)
# cce.winauth.smb (004_22b27dfc6c049eaa.txt table 7 row 5)
New-NetFirewallRule -Group $group -DisplayName 'portmatrix in udp 8: cce.router.dmp-b, cce.winauth.netbios-datagram, cce.winauth.netbios-name, cce.winauth.rpc, cce.winauth.smb' -Direction Inbound -Action Allow -Protocol UDP -LocalPort '135','137-138','445','39500-39999' -RemoteAddress '10.10.1.21/32','10.10.2.21/32' -LocalAddress '10.10.2.11/32' -Description 'cce.router.dmp-b (004_22b27dfc6c049eaa.txt table 1 row 25); cce.winauth.netbios-datagram (004_22b27dfc6c049eaa.txt table 7 row 4); cce.winauth.netbios-name (004_22b27dfc6c049eaa.txt table 7 row 3); cce.winauth.rpc (004_22b27dfc6c049eaa.txt table 7 row 1); cce.winauth.smb (004_22b27dfc6c049eaa.txt table 7 row 5)' | Out-Null
# rtr-a -> rtr-b
# cce.router.mds-private (004_22b27dfc6c049eaa.txt table 1 row 1)
New-NetFirewallRule -Group $group -DisplayName 'portmatrix in udp 9: cce.router.mds-private' -Direction Inbound -Action Allow -Protocol UDP -LocalPort '39500-39999' -RemoteAddress '192.168.10.11/32' -LocalAddress '192.168.20.11/32' -Description 'cce.router.mds-private (004_22b27dfc6c049eaa.txt table 1 row 1)' | Out-Null
# rtr-b -> aw-1, lgr-a, lgr-b, pg-a, pg-b, rtr-a
# cce.winauth.netbios-name (004_22b27dfc6c049eaa.txt table 7 row 3)
# cce.winauth.netbios-session (004_22b27dfc6c049eaa.txt table 7 row 2)
# cce.winauth.rpc (004_22b27dfc6c049eaa.txt table 7 row 1)
# cce.winauth.smb (004_22b27dfc6c049eaa.txt table 7 row 5)
New-NetFirewallRule -Group $group -DisplayName 'portmatrix out tcp 1: cce.winauth.netbios-name, cce.winauth.netbios-session, cce.winauth.rpc, cce.winauth.smb' -Direction Outbound -Action Allow -Protocol TCP -RemotePort '135','137','139','445' -RemoteAddress '10.10.1.11/32','10.10.1.12/32','10.10.1.21/32','10.10.2.12/32','10.10.2.21/32','10.10.3.31/32' -LocalAddress '10.10.2.11/32' -Description 'cce.winauth.netbios-name (004_22b27dfc6c049eaa.txt table 7 row 3); cce.winauth.netbios-session (004_22b27dfc6c049eaa.txt table 7 row 2); cce.winauth.rpc (004_22b27dfc6c049eaa.txt table 7 row 1); cce.winauth.smb (004_22b27dfc6c049eaa.txt table 7 row 5)' | Out-Null
# rtr-b -> dc-1
# cce.winauth.dns (004_22b27dfc6c049eaa.txt table 7 row 10)
# cce.winauth.kerberos (004_22b27dfc6c049eaa.txt table 7 row 11)
# cce.winauth.ldap (004_22b27dfc6c049eaa.txt table 7 row 6)
# cce.winauth.ldap-gc (004_22b27dfc6c049eaa.txt table 7 row 8)
# cce.winauth.ldap-gc-ssl (004_22b27dfc6c049eaa.txt table 7 row 9)
# cce.winauth.ldaps (004_22b27dfc6c049eaa.txt table 7 row 7)
New-NetFirewallRule -Group $group -DisplayName 'portmatrix out tcp 2: cce.winauth.dns, cce.winauth.kerberos, cce.winauth.ldap, cce.winauth.ldap-gc, cce.winauth.ldap-gc-ssl, cce.winauth.ldaps' -Direction Outbound -Action Allow -Protocol TCP -RemotePort '53','88','389','636','3268-3269' -RemoteAddress '10.10.3.61/32' -LocalAddress '10.10.2.11/32' -Description 'cce.winauth.dns (004_22b27dfc6c049eaa.txt table 7 row 10); cce.winauth.kerberos (004_22b27dfc6c049eaa.txt table 7 row 11); cce.winauth.ldap (004_22b27dfc6c049eaa.txt table 7 row 6); cce.winauth.ldap-gc (004_22b27dfc6c049eaa.txt table 7 row 8); cce.winauth.ldap-gc-ssl (004_22b27dfc6c049eaa.txt table 7 row 9); cce.winauth.ldaps (004_22b27dfc6c049eaa.txt table 7 row 7)' | Out-Null
# rtr-b -> aw-1, lgr-a, lgr-b, pg-a, pg-b, rtr-a
# cce.winauth.netbios-datagram (004_22b27dfc6c049eaa.txt table 7 row 4)
# cce.winauth.netbios-name (004_22b27dfc6c049eaa.txt table 7 row 3)
# cce.winauth.rpc (004_22b27dfc6c049eaa.txt table 7 row 1)
# cce.winauth.smb (004_22b27dfc6c049eaa.txt table 7 row 5)
New-NetFirewallRule -Group $group -DisplayName 'portmatrix out udp 3: cce.winauth.netbios-datagram, cce.winauth.netbios-name, cce.winauth.rpc, cce.winauth.smb' -Direction Outbound -Action Allow -Protocol UDP -RemotePort '135','137-138','445' -RemoteAddress '10.10.1.11/32','10.10.1.12/32','10.10.1.21/32','10.10.2.12/32','10.10.2.21/32','10.10.3.31/32' -LocalAddress '10.10.2.11/32' -Description 'cce.winauth.netbios-datagram (004_22b27dfc6c049eaa.txt table 7 row 4); cce.winauth.netbios-name (004_22b27dfc6c049eaa.txt table 7 row 3); cce.winauth.rpc (004_22b27dfc6c049eaa.txt table 7 row 1); cce.winauth.smb (004_22b27dfc6c049eaa.txt table 7 row 5)' | Out-Null
# rtr-b -> dc-1
# cce.winauth.dns (004_22b27dfc6c049eaa.txt table 7 row 10)
# cce.winauth.kerberos (004_22b27dfc6c049eaa.txt table 7 row 11)
# cce.winauth.ldap (004_22b27dfc6c049eaa.txt table 7 row 6)
New-NetFirewallRule -Group $group -DisplayName 'portmatrix out udp 4: cce.winauth.dns, cce.winauth.kerberos, cce.winauth.ldap' -Direction Outbound -Action Allow -Protocol UDP -RemotePort '53','88','389' -RemoteAddress '10.10.3.61/32' -LocalAddress '10.10.2.11/32' -Description 'cce.winauth.dns (004_22b27dfc6c049eaa.txt table 7 row 10); cce.winauth.kerberos (004_22b27dfc6c049eaa.txt table 7 row 11); cce.winauth.ldap (004_22b27dfc6c049eaa.txt table 7 row 6)' | Out-Null
# rtr-b -> ops-1
# cce.mgmt.snmp-trap (004_22b27dfc6c049eaa.txt table 8 row 1)
# cce.mgmt.syslog (004_22b27dfc6c049eaa.txt table 8 row 2)
New-NetFirewallRule -Group $group -DisplayName 'portmatrix out udp 5: cce.mgmt.snmp-trap, cce.mgmt.syslog' -Direction Outbound -Action Allow -Protocol UDP -RemotePort '162','514' -RemoteAddress '10.10.3.81/32' -LocalAddress '10.10.2.11/32' -Description 'cce.mgmt.snmp-trap (004_22b27dfc6c049eaa.txt table 8 row 1); cce.mgmt.syslog (004_22b27dfc6c049eaa.txt table 8 row 2)' | Out-Null
