"""What the platform team owns in AWS, created in a moto server: in each
region, the shared network (the platform VPC, its private route table, the
database subnet group and security group that managed sites join); once, the
public zone of the sites, the private zone of their databases (attached to
every platform VPC) and the shared EKS cluster's OIDC identity provider.

    python3 aws_platform.py ENDPOINT REGION [REGION...]
"""

import sys

import boto3

# The blueprints' clusterOidcIssuer.
OIDC_ISSUER = "https://oidc.eks.eu-west-1.amazonaws.com/id/5C3F2A1B9D8E7F6A5B4C3D2E1F0A9B8C"


def client(endpoint: str, service: str, region: str):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def platform_network(endpoint: str, region: str) -> str:
    ec2 = client(endpoint, "ec2", region)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ec2.create_tags(Resources=[vpc], Tags=[{"Key": "Name", "Value": "sitectl-platform"}])
    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_tags(
        Resources=[table], Tags=[{"Key": "Name", "Value": "sitectl-platform-private"}]
    )
    zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=zone)[
            "Subnet"
        ]["SubnetId"]
        for i, zone in enumerate(zones[:2])
    ]
    client(endpoint, "rds", region).create_db_subnet_group(
        DBSubnetGroupName="sitectl-platform-databases",
        DBSubnetGroupDescription="managed sites' databases",
        SubnetIds=subnets,
    )
    ec2.create_security_group(
        GroupName="sitectl-platform-databases",
        Description="PostgreSQL from the cluster",
        VpcId=vpc,
    )
    return vpc


def main(endpoint: str, regions: list[str]) -> None:
    vpcs = [(region, platform_network(endpoint, region)) for region in regions]
    route53 = client(endpoint, "route53", regions[0])
    route53.create_hosted_zone(Name="sites.sitectl.example", CallerReference="sites")
    first_region, first_vpc = vpcs[0]
    private = route53.create_hosted_zone(
        Name="db.sitectl.internal",
        CallerReference="databases",
        HostedZoneConfig={"PrivateZone": True},
        VPC={"VPCRegion": first_region, "VPCId": first_vpc},
    )["HostedZone"]["Id"]
    for region, vpc in vpcs[1:]:
        route53.associate_vpc_with_hosted_zone(
            HostedZoneId=private, VPC={"VPCRegion": region, "VPCId": vpc}
        )
    client(endpoint, "iam", regions[0]).create_open_id_connect_provider(
        Url=OIDC_ISSUER,
        ClientIDList=["sts.amazonaws.com"],
        ThumbprintList=["9e99a48a9960b14926bb7f3b02e22da2b0ab7280"],
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
