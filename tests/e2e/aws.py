"""The AWS side of the end-to-end test (tests/aws_end_to_end.rs), against the
moto server AWS_ENDPOINT_URL names (boto3 reads it, as the AWS provider does).

    python3 aws.py platform REGION [REGION...]
        What the platform team owns, which the blueprints look up: in each
        region the shared network (the platform VPC, its private route table,
        the database subnet group and security group that managed sites
        join); once, the public zone of the sites, the private zone of their
        databases (attached to every platform VPC) and the shared EKS
        cluster's OIDC identity provider.
    python3 aws.py describe REGION [REGION...]
        The regions' RDS instances and the S3 buckets as JSON: what proves
        that a promotion kept the same objects with their data.
    python3 aws.py put-object REGION BUCKET KEY BODY
    python3 aws.py set-log-retention REGION GROUP DAYS
        A change made behind Terraform's back (drift).
"""

import json
import sys

import boto3

# The blueprints' clusterOidcIssuer.
OIDC_ISSUER = "https://oidc.eks.eu-west-1.amazonaws.com/id/5C3F2A1B9D8E7F6A5B4C3D2E1F0A9B8C"


def client(service: str, region: str):
    return boto3.client(
        service,
        region_name=region,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def platform_network(region: str) -> str:
    ec2 = client("ec2", region)
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
    client("rds", region).create_db_subnet_group(
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


def platform(regions: list[str]) -> None:
    vpcs = [(region, platform_network(region)) for region in regions]
    route53 = client("route53", regions[0])
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
    client("iam", regions[0]).create_open_id_connect_provider(
        Url=OIDC_ISSUER,
        ClientIDList=["sts.amazonaws.com"],
        ThumbprintList=["9e99a48a9960b14926bb7f3b02e22da2b0ab7280"],
    )


def describe(regions: list[str]) -> None:
    instances = {}
    for region in regions:
        for db in client("rds", region).describe_db_instances()["DBInstances"]:
            instances[db["DBInstanceIdentifier"]] = {
                "region": region,
                "created": db["InstanceCreateTime"].isoformat(),
                "class": db["DBInstanceClass"],
                "backupDays": db["BackupRetentionPeriod"],
                "deletionProtection": db["DeletionProtection"],
                "database": db.get("DBName"),
            }
    s3 = client("s3", regions[0])
    buckets = {}
    for bucket in s3.list_buckets()["Buckets"]:
        name = bucket["Name"]
        objects = s3.list_objects_v2(Bucket=name).get("Contents", [])
        buckets[name] = {
            o["Key"]: s3.get_object(Bucket=name, Key=o["Key"])["Body"].read().decode()
            for o in objects
        }
    print(json.dumps({"instances": instances, "buckets": buckets}, sort_keys=True))


def main(args: list[str]) -> None:
    command, rest = args[0], args[1:]
    if command == "platform":
        platform(rest)
    elif command == "describe":
        describe(rest)
    elif command == "put-object":
        region, bucket, key, body = rest
        client("s3", region).put_object(Bucket=bucket, Key=key, Body=body.encode())
    elif command == "set-log-retention":
        region, group, days = rest
        client("logs", region).put_retention_policy(logGroupName=group, retentionInDays=int(days))
    else:
        sys.exit(f"unknown command {command}")


if __name__ == "__main__":
    main(sys.argv[1:])
